/**
 * `npm run load [-- --seconds 180] [--clients 8] [--per-class 3] [--mix all|valid|jpeg] [--no-classes]`: the local
 * service (`wrangler dev` on 127.0.0.1 with a fresh state: backbone + a small head) under sustained load and
 * hostile input, with the workerd process's resident memory read from /proc.
 *
 * 1. Per class, alone: a fresh service, 3 warm-up requests of a 1 MP JPEG, then the class `--per-class` times
 *    in a row; the peak resident memory above the warm service (VmHWM after a reset through
 *    /proc/PID/clear_refs) is what that class costs.
 * 2. Sustained: a fresh service, every class once (warm-up: every heap reaches its size), then `--clients`
 *    clients posting a seeded weighted mix for `--seconds`; RSS every 500 ms. Flat = the median RSS of the last
 *    quarter minus that of the first quarter of the load stays under FLAT_BOUND_MB.
 * Writes bench/load-results.json and the "Hostile input and load" section of BENCHMARKS.md. Traffic goes to
 * 127.0.0.1 only.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadClasses, type LoadClass } from './lib/load-images.ts';
import { BENCH_DIR } from './lib/section.ts';
import { prepareServiceState, startService } from './lib/service.ts';
import { quantile } from './lib/stats.ts';
import { findWorkerd, freePort, processMemoryMb, type DevServer } from './lib/wrangler-dev.ts';
import { sampleIsolateHeap } from './lib/isolate-heap.ts';
import { prng } from '../test/fuzz/mutate.ts';
import { isolateRestarts, writeLoadSection, type ClassMemory, type LoadResults, type SustainedClass } from './lib/load-report.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '180' },
    clients: { type: 'string', default: '8' },
    'per-class': { type: 'string', default: '3' },
    mix: { type: 'string', default: 'all' },
    'no-classes': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const PER_CLASS = Number(values['per-class']);
const FLAT_BOUND_MB = 16;

async function post(server: DevServer, c: LoadClass): Promise<{ status: number; code: string; ms: number }> {
  if (!server.url.startsWith('http://127.0.0.1:')) throw new Error(`refusing to send traffic to ${server.url}`);
  const t0 = performance.now();
  try {
    const response = await fetch(`${server.url}/v1/classify`, { method: 'POST', headers: { 'content-type': c.contentType }, body: c.bytes });
    const text = await response.text();
    let code = '';
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
    } catch {
      // Not our JSON: the runtime or wrangler's proxy answered (e.g. a 503 while the isolate restarts).
      code = `non-json: ${text.replace(/\s+/g, ' ').slice(0, 60)}`;
    }
    return { status: response.status, code, ms: performance.now() - t0 };
  } catch (error) {
    return { status: 0, code: `fetch failed: ${String(error).slice(0, 80)}`, ms: performance.now() - t0 };
  }
}

/**
 * The workerd process's memory; when it has gone (workerd died and wrangler started a new one, which clients see
 * as 503 "Your worker restarted mid-request"), the new process is found and the restart counted.
 */
function memory(server: DevServer, field: 'VmRSS' | 'VmHWM', restarts: { count: number; why: string[] }): number {
  try {
    return processMemoryMb(server.workerdPids, field);
  } catch {
    restarts.count++;
    const tail = server.output().split('\n').filter((l) => /error|fatal|memory|abort|crash|signal/i.test(l)).slice(-3).join(' | ');
    if (tail) restarts.why.push(tail.slice(0, 400));
    try {
      server.workerdPids = findWorkerd(server.child.pid!, Number(new URL(server.url).port));
      return processMemoryMb(server.workerdPids, field);
    } catch {
      return NaN;
    }
  }
}

function resetPeak(pids: number[]): boolean {
  try {
    for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Phase 1: each class alone on a fresh service. */
async function perClass(state: string, classes: LoadClass[]): Promise<ClassMemory[]> {
  const out: ClassMemory[] = [];
  const warm = classes.find((c) => c.name === '1mp.jpg')!;
  for (const c of classes) {
    const server = await startService(state);
    try {
      for (let i = 0; i < 3; i++) await post(server, warm);
      const restarts = { count: 0, why: [] as string[] };
      const before = memory(server, 'VmRSS', restarts);
      resetPeak(server.workerdPids);
      const statuses: Record<string, number> = {};
      let cpuWallMs = 0;
      for (let i = 0; i < PER_CLASS; i++) {
        const r = await post(server, c);
        const key = `${r.status}${r.code ? ' ' + r.code : ''}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
        cpuWallMs += r.ms;
      }
      const peak = memory(server, 'VmHWM', restarts);
      const after = memory(server, 'VmRSS', restarts);
      const row: ClassMemory = {
        name: c.name, kind: c.kind, bytes: c.bytes.length, expect: c.expect, statuses,
        peakDeltaMb: peak - before, afterDeltaMb: after - before, baseMb: before, medianMs: cpuWallMs / PER_CLASS,
        restarts: restarts.count, why: restarts.why,
      };
      out.push(row);
      console.error(`${c.name.padEnd(24)} ${JSON.stringify(statuses)} peak +${row.peakDeltaMb.toFixed(0)} MB, after +${row.afterDeltaMb.toFixed(0)} MB (base ${before.toFixed(0)} MB), ${row.medianMs.toFixed(0)} ms/request`);
    } finally {
      await server.stop();
    }
  }
  return out;
}

/** Phase 2: sustained mixed load from `CLIENTS` clients. */
/** The isolate's own JS heap in use and ArrayBuffer stores (wasm memories among them), MiB, from its inspector. */
async function isolateHeap(port: number): Promise<{ heapMb: number; buffersMb: number }> {
  const sampler = await sampleIsolateHeap(port, 1000);
  const r = await sampler.stop();
  return { heapMb: r.heapMb, buffersMb: r.buffersMb };
}

async function sustained(state: string, classes: LoadClass[]): Promise<LoadResults['sustained']> {
  const inspectorPort = await freePort();
  const server = await startService(state, ['--inspector-port', String(inspectorPort)]);
  const samples: { t: number; rssMb: number }[] = [];
  const t0 = performance.now();
  const restarts = { count: 0, why: [] as string[] };
  const sampler = setInterval(() => samples.push({ t: (performance.now() - t0) / 1000, rssMb: memory(server, 'VmRSS', restarts) }), 500);
  const perClassStats = new Map<string, { statuses: Record<string, number>; ms: number[] }>();
  try {
    for (const c of classes) await post(server, c);
    for (let i = 0; i < 10; i++) await post(server, classes[0]);
    const warmRss = memory(server, 'VmRSS', restarts);
    const warmHeap = await isolateHeap(inspectorPort);
    const loadStart = (performance.now() - t0) / 1000;
    const totalWeight = classes.reduce((n, c) => n + c.weight, 0);
    const pick = (rand: () => number) => {
      let x = rand() * totalWeight;
      for (const c of classes) if ((x -= c.weight) < 0) return c;
      return classes[classes.length - 1];
    };
    const deadline = performance.now() + SECONDS * 1000;
    await Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
      const rand = prng(1000 + client);
      while (performance.now() < deadline) {
        const c = pick(rand);
        const r = await post(server, c);
        const s = perClassStats.get(c.name) ?? { statuses: {}, ms: [] };
        const key = `${r.status}${r.code ? ' ' + r.code : ''}`;
        s.statuses[key] = (s.statuses[key] ?? 0) + 1;
        s.ms.push(r.ms);
        perClassStats.set(c.name, s);
      }
    }));
    const loadEnd = (performance.now() - t0) / 1000;
    const endHeap = await isolateHeap(inspectorPort);
    console.error(`isolate (inspector): JS heap ${warmHeap.heapMb.toFixed(1)} -> ${endHeap.heapMb.toFixed(1)} MiB, array buffers ${warmHeap.buffersMb.toFixed(1)} -> ${endHeap.buffersMb.toFixed(1)} MiB`);
    clearInterval(sampler);
    const during = samples.filter((s) => s.t >= loadStart && s.t <= loadEnd && Number.isFinite(s.rssMb));
    const quarter = Math.max(1, Math.floor(during.length / 4));
    const firstQ = quantile(during.slice(0, quarter).map((s) => s.rssMb), 0.5);
    const lastQ = quantile(during.slice(-quarter).map((s) => s.rssMb), 0.5);
    const rows: SustainedClass[] = classes.map((c) => {
      const s = perClassStats.get(c.name) ?? { statuses: {}, ms: [] };
      const unexpected = Object.entries(s.statuses).filter(([k]) => !c.expect.includes(Number(k.split(' ')[0]))).reduce((n, [, v]) => n + v, 0);
      return { name: c.name, kind: c.kind, requests: s.ms.length, statuses: s.statuses, unexpected, p50Ms: quantile(s.ms, 0.5), p99Ms: quantile(s.ms, 0.99) };
    });
    return {
      seconds: SECONDS, clients: CLIENTS, requests: rows.reduce((n, r) => n + r.requests, 0), warmRssMb: warmRss,
      firstQuarterMb: firstQ, lastQuarterMb: lastQ, growthMb: lastQ - firstQ, maxMb: Math.max(...during.map((s) => s.rssMb)),
      flat: lastQ - firstQ < FLAT_BOUND_MB && restarts.count === 0, peakMb: memory(server, 'VmHWM', restarts), classes: rows,
      restarts: restarts.count, why: restarts.why,
      rss: samples.filter((_, i) => i % 4 === 0).map((s) => ({ t: Math.round(s.t), mb: Math.round(s.rssMb) })),
    };
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}

const all = await loadClasses();
// all: everything; valid: the legitimate photos; jpeg: the legitimate JPEGs only (the path with no third-party decoder).
const MIXES: Record<string, (c: LoadClass) => boolean> = {
  all: () => true,
  valid: (c) => c.kind === 'valid',
  jpeg: (c) => c.kind === 'valid' && c.contentType === 'image/jpeg',
};
if (!MIXES[String(values.mix)]) throw new Error(`--mix must be one of ${Object.keys(MIXES).join(', ')}`);
const classes = all.filter(MIXES[String(values.mix)]);
const { state } = await prepareServiceState();
const classMemory = values['no-classes'] ? [] : await perClass(state, all);
const load = await sustained(state, classes);
console.error(`isolate restarts (503 answers): ${isolateRestarts(load.classes)}`);
console.error(`sustained: ${load.requests} requests, RSS after warm-up ${load.warmRssMb.toFixed(0)} MB, first quarter ${load.firstQuarterMb.toFixed(0)} MB, last ${load.lastQuarterMb.toFixed(0)} MB (growth ${load.growthMb.toFixed(1)} MB, ${load.flat ? 'flat' : 'NOT flat'}), max ${load.maxMb.toFixed(0)} MB`);
for (const r of load.classes) console.error(`  ${r.name.padEnd(24)} ${r.requests} requests ${JSON.stringify(r.statuses)} p50 ${r.p50Ms.toFixed(0)} ms p99 ${r.p99Ms.toFixed(0)} ms`);
const results: LoadResults = { date: new Date().toISOString(), mix: String(values.mix), flatBoundMb: FLAT_BOUND_MB, perClass: classMemory, sustained: load };
// One entry per mix, so a run of the valid-only mix and one of the full mix sit side by side.
const path = join(BENCH_DIR, 'load-results.json');
const stored = (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {}) as Record<string, LoadResults>;
stored[results.mix] = values['no-classes'] && stored[results.mix] ? { ...results, perClass: stored[results.mix].perClass } : results;
writeFileSync(path, JSON.stringify(stored, null, 2) + '\n');
writeLoadSection(stored);
