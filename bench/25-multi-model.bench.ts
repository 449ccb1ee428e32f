/**
 * Named models: `POST /v1/classify?models=a,b,...` answers several models from one backbone forward. Measured
 * against the real service (`wrangler dev`, fresh local state, MobileNetV2 1.0 and 2-label heads on synthetic
 * embeddings): the workerd CPU of one request for 1, 2 and 4 models on a 1 MP JPEG, the three interleaved request
 * by request so a slow period of this shared machine lands on all alike.
 */
import { join } from 'node:path';
import { getPlatformProxy } from 'wrangler';
import { makeSyntheticSet } from '../shared/head/synthetic-set.ts';
import { trainHead } from '../shared/head/train-head.ts';
import { publishHead } from '../shared/store/head-store.ts';
import type { KvLike } from '../shared/store/kv-like.ts';
import { PROJECT_ROOT } from '../trainer/model-store.ts';
import { benchImages } from './lib/fixtures.ts';
import { table, writeSection } from './lib/section.ts';
import { applyMigrations, prepareServiceState, startService } from './lib/service.ts';
import { fmt, summarize, type Summary } from './lib/stats.ts';
import { call, measure, noopCpu } from './lib/wrangler-dev.ts';

const NAMED = ['birds', 'cats', 'dogs'];
const WARMUP = 12;
const ROUNDS = 25;

/** Registers the named models in D1 and publishes a 2-label head for each, on the state's backbone. */
async function addNamedModels(state: string, backboneId: string, embeddingSize: number): Promise<void> {
  applyMigrations(state);
  const proxy = await getPlatformProxy<{ MODELS: KvLike; DB: { prepare(sql: string): { bind(...v: unknown[]): { run(): Promise<unknown> } } } }>({
    configPath: join(PROJECT_ROOT, 'wrangler.toml'),
    persist: { path: join(state, 'v3') },
  });
  try {
    for (const [i, name] of NAMED.entries()) {
      await proxy.env.DB.prepare('INSERT INTO models (name, created_at) VALUES (?, ?)').bind(name, new Date().toISOString()).run();
      const set = makeSyntheticSet({ counts: [60, 60], embeddingSize, seed: 11 + i, labels: [`${name}-a`, `${name}-b`] });
      const { head } = trainHead(set, { seed: 1, maxIterations: 30 });
      await publishHead(proxy.env.MODELS, head, { backboneId, metrics: null, training: { bench: true } }, new Date(), name);
    }
  } finally {
    await proxy.dispose();
  }
}

const image = benchImages().find((i) => i.name === '1mp.jpg')!;
const variants = [
  { label: '1 model (no parameter)', query: '' },
  { label: '2 models', query: '?models=default,birds' },
  { label: '4 models', query: `?models=default,${NAMED.join(',')}` },
];
const { state, backboneId } = await prepareServiceState();
await addNamedModels(state, backboneId, 1280);
const server = await startService(state);
const times: number[][] = variants.map(() => []);
let forwards: number[] = [];
try {
  const noop = await noopCpu(server, '/nope');
  const post = (query: string) => call(`${server.url}/v1/classify${query}`, { method: 'POST', headers: { 'content-type': image.type }, body: image.bytes });
  for (let i = 0; i < WARMUP; i++) for (const v of variants) await post(v.query);
  forwards = await Promise.all(variants.slice(1).map(async (v) => ((await post(v.query)) as { timing_ms: { forwards: number } }).timing_ms.forwards));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, v] of variants.entries()) times[i].push((await measure(server, () => post(v.query))).cpu - noop);
  }
} finally {
  await server.stop();
}
const summaries: Summary[] = times.map(summarize);
const ratios = variants.map((_, i) => summarize(times[i].map((t, round) => t / times[0][round])));
for (const [i, v] of variants.entries()) console.error(v.label, fmt(summaries[i]), `ratio ${ratios[i].median.toFixed(2)}`);

const markdown = `## Several named models from one forward (\`/v1/classify?models=\`)

${table(
  ['request (1 MP JPEG)', 'workerd CPU ms', 'x one model (median of per-round ratios)'],
  variants.map((v, i) => [v.label, fmt(summaries[i]), `${ratios[i].median.toFixed(2)} (p95 ${ratios[i].p95.toFixed(2)})`]),
)}

- **Target: two models cost about what one does: ${ratios[1].median <= 1.1 ? 'met' : 'MISSED'}** (${ratios[1].median.toFixed(2)}x; four: ${ratios[2].median.toFixed(2)}x). Each
  multi-model answer reported ${forwards.join(' and ')} backbone forward(s) (\`timing_ms.forwards\`): the models share the
  backbone, so the only extra work per model is its head pointer read, its head (a 1280x2 matrix) and its JSON.
- How: \`wrangler dev\` with the project's wrangler.toml and a fresh local state (MobileNetV2 1.0 224, the default model's
  head and three named models' heads, each 2 labels trained on synthetic embeddings); CPU of the workerd process
  per request minus a 404's, after ${WARMUP} warm-up rounds; the three requests alternate within each of ${ROUNDS} rounds.
`;
writeSection(import.meta.url, markdown, { variants: variants.map((v, i) => ({ ...v, cpu: summaries[i], ratio: ratios[i] })), forwards });
