/**
 * `edgehead train` on 1 and 2 embedding threads (`--threads`), the real CLI in a child process on the shared
 * hymenoptera photos with MobileNetV2 1.0: images per second of the embedding phase (the train JSON's `embedMs`)
 * and of the whole command, with a cold embedding cache (every photo embedded) and a warm one (none re-embedded:
 * only reads, hashes and colour histograms). Median of RUNS runs each.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../trainer/model-store.ts';
import { table, writeSection } from './lib/section.ts';
import { quantile } from './lib/stats.ts';

const RUNS = 2;
const DATA = join(PROJECT_ROOT, '..', 'shared', 'datasets', 'hymenoptera');
const BACKBONE = join(PROJECT_ROOT, '..', 'shared', 'backbones', 'mobilenet_v2_1.0_224_quant.tflite');

interface TrainRun {
  photos: number;
  embedMs: number;
  wallMs: number;
  embedded: number;
  cached: number;
}

function train(threads: number, cacheDir: string, stateDir: string): Promise<TrainRun> {
  const args = [join(PROJECT_ROOT, 'bin/edgehead.mjs'), 'train', '--data', DATA, '--backbone', BACKBONE, '--no-publish', '--json', '--threads', String(threads)];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, EDGEHEAD_CACHE_DIR: cacheDir, EDGEHEAD_STATE_DIR: stateDir }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`edgehead train --threads ${threads} failed: ${stderr}`));
      const result = JSON.parse(stdout) as { train: number; val: number; embedMs: number; embedded: number; cached: number };
      resolve({ photos: result.train + result.val, embedMs: result.embedMs, wallMs: performance.now() - started, embedded: result.embedded, cached: result.cached });
    });
  });
}

const rows: (string | number)[][] = [];
const data: Record<string, unknown> = { cores: cpus().length, runs: RUNS };
const rate = (photos: number, ms: number[]) => photos / (quantile(ms, 0.5) / 1000);
const medians: Record<string, { embed: number; whole: number }> = {};
const THREADS = [1, 2];
const loadBefore = loadavg()[0];
const runs: Record<string, TrainRun[]> = {};
// Interleaved (1, 2, 1, 2, ...), so a change in the machine's load hits both thread counts alike.
for (let run = 0; run < RUNS; run++) {
  for (const threads of THREADS) {
    const cache = mkdtempSync(join(tmpdir(), 'edgehead-bench-cache-'));
    const state = mkdtempSync(join(tmpdir(), 'edgehead-bench-state-'));
    try {
      for (const kind of ['cold', 'warm']) (runs[`${kind}-${threads}`] ??= []).push(await train(threads, cache, state));
    } finally {
      rmSync(cache, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
    console.error(`threads ${threads} run ${run + 1}: cold ${runs[`cold-${threads}`].at(-1)!.embedMs} ms embed, warm ${runs[`warm-${threads}`].at(-1)!.embedMs} ms embed`);
  }
}
for (const threads of THREADS) {
  for (const cache of ['cold', 'warm']) {
    const these = runs[`${cache}-${threads}`];
    const photos = these[0].photos;
    const embed = rate(photos, these.map((r) => r.embedMs));
    const whole = rate(photos, these.map((r) => r.wallMs));
    medians[`${cache}-${threads}`] = { embed, whole };
    rows.push([threads, cache, photos, `${these[0].embedded} / ${these[0].cached}`, embed.toFixed(1), whole.toFixed(1), quantile(these.map((r) => r.wallMs), 0.5).toFixed(0)]);
    data[`${cache}-${threads}`] = { photos, embedImagesPerSecond: embed, wholeImagesPerSecond: whole, runs: these };
  }
}
const load = `${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end`;
data.loadAverage = load;
const ratio = (cache: string) => (medians[`${cache}-2`].embed / medians[`${cache}-1`].embed).toFixed(2);
writeSection(
  import.meta.url,
  `## \`edgehead train\`: embedding photos on 1 and 2 threads

The real CLI (\`edgehead train --data hymenoptera --backbone mobilenet_v2_1.0_224_quant --no-publish --threads N\`), ${RUNS}
runs each, medians. "embed" is the embedding phase (reading, hashing, the cache, embedding, colour histograms);
"whole" is the whole command (start-up, head training, calibration, baselines included). Cold: a fresh embedding
cache; warm: the same command again, nothing re-embedded.

${table(['threads', 'cache', 'photos', 'embedded / cached', 'embed images/s', 'whole images/s', 'whole ms'], rows)}

2 threads vs 1, embedding phase: **${ratio('cold')}x** cold, **${ratio('warm')}x** warm (${cpus().length} cores, load average
${load}: with more runnable threads than cores, a second thread only adds to this command's share of them). With a
warm cache both do the same work on one thread (the workers start only when a photo needs the backbone; the colour
histograms are computed here), so the warm ratio is run-to-run noise.
`,
  data,
);
