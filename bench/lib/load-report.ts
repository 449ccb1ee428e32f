/** The figures of `npm run load` and their section of BENCHMARKS.md ("Hostile input and load"). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../trainer/model-store.ts';
import { table } from './section.ts';

export interface ClassMemory {
  name: string;
  kind: string;
  bytes: number;
  expect: readonly number[];
  statuses: Record<string, number>;
  /** peak resident memory of workerd above the warm service while the class ran, MiB */
  peakDeltaMb: number;
  /** resident memory left after the class ran, above the warm service, MiB */
  afterDeltaMb: number;
  baseMb: number;
  medianMs: number;
  /** times the workerd process died and wrangler started another (503 "worker restarted mid-request") */
  restarts: number;
  why: string[];
}

export interface SustainedClass {
  name: string;
  kind: string;
  requests: number;
  statuses: Record<string, number>;
  /** answers outside the class's expected statuses */
  unexpected: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadResults {
  date: string;
  mix: string;
  flatBoundMb: number;
  perClass: ClassMemory[];
  sustained: {
    seconds: number; clients: number; requests: number; warmRssMb: number; firstQuarterMb: number; lastQuarterMb: number;
    growthMb: number; maxMb: number; flat: boolean; peakMb: number; classes: SustainedClass[]; rss: { t: number; mb: number }[];
    restarts: number; why: string[];
    /** the isolate's own figures from its inspector (Runtime.getHeapUsage) after warm-up and at the end */
    isolate?: { warm: { heapMb: number; buffersMb: number }; end: { heapMb: number; buffersMb: number } };
  };
}

const HEADING = '## Hostile input and load';

/**
 * Answers 503 "Your worker restarted mid-request" from wrangler's proxy: its hop to workerd failed. That happens
 * when the worker restarts, and also with no restart at all when the hop's connection drops
 * (cloudflare/workers-sdk#14641), e.g. while the isolate is blocked for seconds by one decode.
 */
export function isolateRestarts(classes: SustainedClass[]): number {
  return classes.reduce((n, c) => n + Object.entries(c.statuses).filter(([k]) => /restarted/.test(k)).reduce((m, [, v]) => m + v, 0), 0);
}

const statusText = (s: Record<string, number>) => Object.entries(s).map(([k, v]) => `${v}x ${k}`).join(', ');

/** Markdown of the section. */
export function loadSection(r: LoadResults): string {
  const restarted = isolateRestarts(r.sustained.classes);
  const flat = r.sustained.flat;
  const biggest = Math.max(0, ...r.perClass.filter((c) => c.kind === 'valid').map((c) => c.peakDeltaMb));
  const s = r.sustained;
  return `${HEADING}

\`npm run load\` (bench/load.ts; run ${r.date.slice(0, 16)} UTC, mix \`${r.mix}\`): the local service (\`wrangler dev\`, one
isolate, fresh state with the backbone and a 2-label head) on 127.0.0.1. Memory is the workerd process's resident
memory from /proc (it also holds miniflare's local KV/R2/D1 and V8's not yet collected garbage; local workerd does
not enforce the 128 MB isolate limit, so this is where a blow-up shows).

Per class, alone (a fresh service warmed with 3 requests of a 1 MP JPEG, then the class ${r.perClass[0] ? Object.values(r.perClass[0].statuses).reduce((a, b) => a + b, 0) : 0} times; peak = VmHWM after a reset
through /proc/PID/clear_refs, minus the warm RSS). The biggest legitimate photo costs +${biggest.toFixed(0)} MiB; a hostile class
should cost no more.

${table(
  ['class', 'kind', 'bytes', 'answers', 'expected', 'peak MiB above warm', 'left after', 'ms/request', 'workerd restarts'],
  r.perClass.map((c) => [c.name, c.kind, c.bytes, statusText(c.statuses), c.expect.join('/'), `+${c.peakDeltaMb.toFixed(0)}${c.kind !== 'valid' && c.peakDeltaMb > biggest + 8 ? ' **over**' : ''}`, `+${c.afterDeltaMb.toFixed(0)}`, c.medianMs.toFixed(0), c.restarts]),
)}

Sustained: ${s.clients} clients for ${s.seconds} s, ${s.requests} requests of a seeded weighted mix, after one request of every
class and 10 of a 1 MP JPEG (warm-up). RSS after warm-up ${s.warmRssMb.toFixed(0)} MiB; median of the first quarter of the load
${s.firstQuarterMb.toFixed(0)} MiB, of the last quarter ${s.lastQuarterMb.toFixed(0)} MiB: growth **${s.growthMb.toFixed(1)} MiB** (flat means under
${r.flatBoundMb} MiB and no process restart: ${flat ? 'flat' : '**not flat**'}); highest sample ${s.maxMb.toFixed(0)} MiB, process peak ${s.peakMb.toFixed(0)} MiB;
workerd process restarts: ${s.restarts}${s.why.length ? ` (${s.why.join('; ')})` : ''}; requests answered 503 "Your worker restarted mid-request" by wrangler's
proxy: **${restarted}** (its hop to workerd failed: a restart, or per cloudflare/workers-sdk#14641 a dropped connection
with no restart, which long blocking decodes make likely). RSS swings by hundreds of MiB with each hostile decode
and falls back when V8 collects, so with hostile classes in the mix "growth" is noise around those swings.

${table(
  ['class', 'requests', 'answers', 'unexpected', 'p50 ms', 'p99 ms'],
  s.classes.map((c) => [c.name, c.requests, statusText(c.statuses), c.unexpected, c.p50Ms.toFixed(0), c.p99Ms.toFixed(0)]),
)}

RSS over time (s: MiB): ${s.rss.map((p) => `${p.t}: ${p.mb}`).join(', ')}
`;
}

/** Replaces (or appends) the section in BENCHMARKS.md; the other sections stay as they are. */
export function writeLoadSection(stored: Record<string, LoadResults>): void {
  const r = stored.all ?? Object.values(stored)[0];
  const valid = stored.valid?.sustained;
  const path = join(PROJECT_ROOT, 'BENCHMARKS.md');
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(HEADING);
  const validRestarts = valid ? isolateRestarts(valid.classes) : 0;
  const jpeg = stored.jpeg?.sustained;
  const jpegLine = jpeg
    ? `\nLegitimate JPEGs only (\`--mix jpeg\`, 1 MP and 12 MP, run ${stored.jpeg.date.slice(0, 16)}): ${jpeg.clients} clients for ${jpeg.seconds} s, ${jpeg.requests} requests; RSS after warm-up ${jpeg.warmRssMb.toFixed(0)} MiB, first quarter ${jpeg.firstQuarterMb.toFixed(0)}, last quarter ${jpeg.lastQuarterMb.toFixed(0)}: growth **${jpeg.growthMb.toFixed(1)} MiB** (${jpeg.flat ? 'flat' : '**not flat**'}), highest ${jpeg.maxMb.toFixed(0)} MiB.\n`
    : '';
  const validLine = valid
    ? `\nValid photos only (\`--mix valid\`, run ${stored.valid.date.slice(0, 16)}): ${valid.clients} clients for ${valid.seconds} s, ${valid.requests} requests; RSS after warm-up ${valid.warmRssMb.toFixed(0)} MiB, first quarter ${valid.firstQuarterMb.toFixed(0)}, last quarter ${valid.lastQuarterMb.toFixed(0)}: growth **${valid.growthMb.toFixed(1)} MiB** (${valid.flat ? 'flat' : '**not flat**'}), highest ${valid.maxMb.toFixed(0)} MiB, ${validRestarts} answers 503 "worker restarted mid-request", ${valid.classes.reduce((n, c) => n + c.unexpected, 0)} unexpected answers in all.\n`
    : '';
  const section = loadSection(r).trimEnd() + '\n' + validLine + jpegLine;
  if (start < 0) {
    writeFileSync(path, text.trimEnd() + '\n\n' + section);
    return;
  }
  const next = text.indexOf('\n## ', start + HEADING.length);
  writeFileSync(path, text.slice(0, start) + section + (next < 0 ? '' : '\n' + text.slice(next + 1)));
}
