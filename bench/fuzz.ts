/**
 * `npm run fuzz [-- --cases N] [--seed S] [--start K]`: the seeded mutation fuzzer over real JPEG, PNG and
 * WebP photos (test/fuzz/). Prints every failure with the seed and case number that reproduce it
 * (`npm run fuzz -- --seed S --start N --cases 1`), writes bench/out/fuzz.json, exits 1 when any case failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fuzzSourcePaths } from '../test/fuzz/fuzz-sources.ts';
import { runFuzz } from '../test/fuzz/run-fuzz.ts';
import { formatHostile, runHostile } from './fuzz-hostile.ts';
import { benchImages } from './lib/fixtures.ts';
import { OUT_DIR } from './lib/section.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '20261205' },
    start: { type: 'string', default: '0' },
  },
});
const cases = Number(values.cases);
const seed = Number(values.seed);
const start = Number(values.start);

benchImages();
const sources = fuzzSourcePaths();
// The yardsticks: the sources themselves (CPU per pixel) and the biggest legitimate photo, a 12 MP JPEG (memory).
const yardsticks = [...sources, join(OUT_DIR, '..', '..', 'test/fixtures/generated/bench/12mp.jpg')];
const t0 = performance.now();
let lastPrint = 0;
const report = await runFuzz({
  seed, cases, start, sourcePaths: sources, yardstickPaths: yardsticks,
  onProgress(done, failures) {
    if (performance.now() - lastPrint > 5000 || done === cases) {
      lastPrint = performance.now();
      process.stderr.write(`fuzz: ${done}/${cases} cases, ${failures} failures, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  },
});

const seconds = (performance.now() - t0) / 1000;
console.log(`\nseed ${seed}, cases ${start}..${start + cases - 1}, ${seconds.toFixed(0)} s`);
console.log(`outcomes: ${JSON.stringify(report.outcomes)}`);
console.log(`statuses: ${JSON.stringify(report.statuses)}`);
console.log(`bounds: ${report.bounds.nsPerPixel.toFixed(1)} ns/pixel (x5 + 250 ms), memory ${report.bounds.memoryMb.toFixed(0)} MB; worst case seen: ${report.maxCpuMs.toFixed(0)} ms CPU, ${report.maxPeakMb.toFixed(0)} MB`);
console.log(`yardsticks: ${report.yardsticks.map((y) => `${y.name} ${(y.pixels / 1e6).toFixed(2)} MP ${y.cpuMs.toFixed(1)} ms ${y.peakMb.toFixed(1)} MB`).join('; ')}`);
// The hostile classes, each alone, held to the biggest legitimate photo's memory (the same bound as the cases).
const hostile = await runHostile(report.bounds.memoryMb);
console.log(`hostile classes (memory bound ${report.bounds.memoryMb.toFixed(0)} MB):`);
for (const o of hostile) console.log(`  ${formatHostile(o)}`);
const byKind = new Map<string, number>();
for (const f of report.failures) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
console.log(`failures: ${report.failures.length} ${JSON.stringify(Object.fromEntries(byKind))}`);
for (const f of report.failures.slice(0, 200)) {
  console.log(`  [${f.kind}] seed ${f.seed} case ${f.caseNo} (${f.source ?? '?'}: ${(f.mutations ?? []).join(', ')}): ${f.detail}`);
}
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(join(OUT_DIR, 'fuzz.json'), JSON.stringify({ ...report, seconds, hostile }, null, 2) + '\n');
process.exitCode = report.failures.length > 0 || hostile.some((o) => !o.ok) ? 1 : 0;
