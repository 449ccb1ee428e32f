/**
 * The hostile classes of test/helpers/hostile-images.ts, each decoded alone in a watched child process through
 * `decodeForModel` (the service's decode path): outcome, expected statuses, CPU and peak memory. Part of
 * `npm run fuzz` (runs first); `npx tsx bench/fuzz-hostile.ts` runs it alone.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostileImages, type HostileImage } from '../test/helpers/hostile-images.ts';
import { FUZZ_DIR, fuzzSourcePaths } from '../test/fuzz/fuzz-sources.ts';
import { decodeFiles } from '../test/fuzz/run-fuzz.ts';

export interface HostileOutcome {
  name: string;
  what: string;
  bytes: number;
  expect: readonly number[];
  got: string;
  status: number | null;
  /** the status is one of `expect` and the peak memory is within the bound */
  ok: boolean;
  cpuMs: number | null;
  peakMb: number | null;
}

/** Writes the hostile images into the fuzz folder (cached: the PNG bombs take a second or two to deflate). */
export async function hostileFiles(): Promise<(HostileImage & { path: string })[]> {
  const [jpeg, , , , , png, , , webp] = fuzzSourcePaths();
  const read = (p: string) => new Uint8Array(readFileSync(p));
  const dir = join(FUZZ_DIR, 'hostile');
  mkdirSync(dir, { recursive: true });
  const images = await hostileImages({ jpeg: read(jpeg), png: read(png), webp: read(webp) });
  return images.map((image) => {
    const path = join(dir, image.name);
    if (!existsSync(path)) writeFileSync(path, image.bytes);
    return { ...image, path };
  });
}

/**
 * @param memoryBoundMb peak memory a hostile image may take: the biggest legitimate photo's (see bench/fuzz.ts)
 */
export async function runHostile(memoryBoundMb: number): Promise<HostileOutcome[]> {
  const files = await hostileFiles();
  const outcomes = await decodeFiles(files.map((f) => f.path), { rssLimitMb: 1500, caseTimeoutMs: 120_000 });
  return files.map((f, i) => {
    const { result, killed } = outcomes[i];
    const status = result ? (result.outcome === 'decoded' ? 200 : result.status ?? null) : null;
    const got = result ? (result.outcome === 'bug' ? `bug: ${result.message}` : `${status} ${result.code ?? ''}`.trim()) : `killed: ${killed}`;
    return {
      name: f.name, what: f.what, bytes: f.bytes.length, expect: f.expect, got, status,
      ok: status !== null && f.expect.includes(status) && (result?.peakMb ?? Infinity) <= memoryBoundMb, cpuMs: result?.cpuMs ?? null, peakMb: result?.peakMb ?? null,
    };
  });
}

/** One line per class, for the console. */
export function formatHostile(o: HostileOutcome): string {
  return `${o.ok ? 'ok  ' : 'FAIL'} ${o.name.padEnd(24)} ${String(o.bytes).padStart(7)} B  expect ${o.expect.join('/')}  got ${o.got}  ${o.cpuMs?.toFixed(0) ?? '-'} ms CPU  ${o.peakMb?.toFixed(0) ?? '-'} MB peak`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [legit] = await decodeFiles([join(FUZZ_DIR, '..', 'bench', '12mp.jpg')]);
  const bound = (legit.result?.peakMb ?? 0) + 32;
  console.log(`memory bound: ${bound.toFixed(0)} MB (12 MP JPEG ${legit.result?.peakMb.toFixed(1)} MB + 32)`);
  for (const o of await runHostile(bound)) {
    console.log(formatHostile(o));
  }
}
