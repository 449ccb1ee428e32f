/**
 * Retraining at the edge: the training job (the one the hourly cron runs) over 1k and 10k stored examples, and a
 * run with nothing new, against the real service (`wrangler dev`, the project's wrangler.toml, local D1/KV) on a
 * fresh state. Plus the head fit alone (`trainHead` with a warm start) in the bench worker, for the split.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { getPlatformProxy } from 'wrangler';
import { encodeEmbedding } from '../shared/examples/embedding-codec.ts';
import { makeSyntheticSet } from '../shared/head/synthetic-set.ts';
import { PROJECT_ROOT } from '../trainer/model-store.ts';
import { readDevVarsToken } from '../trainer/serve-command.ts';
import { applyMigrations, prepareServiceState, startService } from './lib/service.ts';
import { table, writeSection } from './lib/section.ts';
import { fmt, summarize, type Summary } from './lib/stats.ts';
import { sampleIsolateHeap } from './lib/isolate-heap.ts';
import { call, freePort, measure, noopCpu, processMemoryMb, startWranglerDev } from './lib/wrangler-dev.ts';

const SIZES = [1000, 10000];
const LABELS = 10;
// wrangler dev reads the project's .dev.vars (npm start makes one); its token wins over --var, so use it if present.
const TOKEN = readDevVarsToken() ?? randomBytes(16).toString('hex');

interface D1Like {
  prepare(sql: string): { bind(...values: unknown[]): unknown };
  batch(statements: unknown[]): Promise<unknown>;
}

/** Stores examples `from..to-1` of one synthetic set straight into D1, in the format the service writes (no photos: the job reads only embeddings). */
async function storeExamples(state: string, backboneId: string, from: number, to: number): Promise<void> {
  const set = makeSyntheticSet({ counts: Array.from({ length: LABELS }, () => SIZES[SIZES.length - 1] / LABELS), embeddingSize: 1280, seed: 21 });
  const proxy = await getPlatformProxy<{ DB: D1Like }>({ configPath: join(PROJECT_ROOT, 'wrangler.toml'), persist: { path: join(state, 'v3') } });
  try {
    const d = set.embeddingSize;
    const now = new Date().toISOString();
    // Interleave the labels, so the first 1k examples hold every label.
    const order = Array.from({ length: set.labelIndex.length }, (_, i) => (i % LABELS) * (set.labelIndex.length / LABELS) + Math.floor(i / LABELS));
    for (let start = from; start < to; start += 50) {
      const statements = [];
      for (let i = start; i < Math.min(to, start + 50); i++) {
        const row = order[i];
        const plain = set.embeddings.slice(row * d, (row + 1) * d);
        const flipped = plain.map((v, j) => v * (1 + 0.01 * Math.sin(j + i)));
        const id = i.toString(16).padStart(64, '0');
        statements.push(
          proxy.env.DB.prepare(
            `INSERT INTO examples (id, label, content_type, bytes, width, height, backbone_id, embedding, embedding_flipped, embedding_q8, embedding_flipped_q8, created_at, updated_at)
             VALUES (?, ?, 'image/jpeg', 1000, 640, 480, ?, x'', x'', ?, ?, ?, ?)`,
          ).bind(id, set.labels[set.labelIndex[row]], backboneId, encodeEmbedding(plain), encodeEmbedding(flipped), now, now),
        );
      }
      await proxy.env.DB.batch(statements);
    }
  } finally {
    await proxy.dispose();
  }
}

interface Run {
  status: string;
  reason: string | null;
  examplesTrain: number | null;
  examplesHoldout: number | null;
  details: Record<string, unknown>;
}

interface JobRow {
  what: string;
  cpu: number;
  wall: number;
  status: string;
  reason: string | null;
  train: number | null;
  holdout: number | null;
  training?: { evaluations?: number };
  /** workerd resident memory before the run and its peak by the end (MiB); null for the no-op, whose peak is the previous run's */
  rssBefore: number | null;
  rssPeak: number | null;
  /** the worker isolate's JS heap + ArrayBuffer stores before the run and their sampled peak (MiB, bench/lib/isolate-heap.ts); null for the no-op */
  isolate: { beforeMb: number; heapMb: number; buffersMb: number; totalMb: number; samples: number } | null;
}

const jobRows: JobRow[] = [];
{
  const { state, backboneId } = await prepareServiceState();
  await applyMigrations(state);
  let stored = 0;
  for (const size of SIZES) {
    await storeExamples(state, backboneId, stored, size);
    stored = size;
    const inspectorPort = await freePort();
    const server = await startService(state, ['--var', `ADMIN_TOKEN:${TOKEN}`, '--inspector-port', String(inspectorPort)]);
    try {
      const train = async () => ((await call(`${server.url}/v1/train`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })) as { run: Run }).run;
      for (const what of [`${size} examples`, `${size} examples, nothing new (no-op)`]) {
        const first = !what.includes('no-op');
        const rssBefore = processMemoryMb(server.workerdPids, 'VmRSS');
        let run: Run | undefined;
        let measured: { cpu: number; wall: number };
        // Not during the no-op: its memory is not in question, and a DevTools session adds to a 20 ms run's wall time.
        const heap = first ? await sampleIsolateHeap(inspectorPort) : null;
        try {
          measured = await measure(server, async () => (run = await train()));
        } catch (error) {
          await heap?.stop();
          // Seen after the 10k run: the worker restarts mid-request. Record it, then go on.
          console.error(`${what}: ${String(error).slice(0, 300)}`);
          jobRows.push({ what, cpu: NaN, wall: NaN, status: 'error', reason: String(error).slice(0, 160), train: null, holdout: null, rssBefore: null, rssPeak: null, isolate: null });
          continue;
        }
        const { cpu, wall } = measured;
        const isolate = heap ? await heap.stop() : null;
        const rssPeak = first ? processMemoryMb(server.workerdPids, 'VmHWM') : null;
        jobRows.push({
          what, cpu, wall, status: run!.status, reason: run!.reason, train: run!.examplesTrain, holdout: run!.examplesHoldout,
          training: run!.details.training as JobRow['training'], rssBefore: first ? rssBefore : null, rssPeak, isolate,
        });
        console.error(`${what}: ${cpu.toFixed(0)} ms CPU, ${wall.toFixed(0)} ms wall, isolate ${JSON.stringify(isolate)}, ${run!.status}: ${run!.reason}`, JSON.stringify(run!.details).slice(0, 600));
      }
    } finally {
      await server.stop();
    }
  }
}

// The head fit alone: trainHead with a warm start in the bench worker.
const fitRows: { size: number; cpu: Summary; result: Record<string, unknown> }[] = [];
{
  const server = await startWranglerDev(['-c', 'bench/wrangler.bench.toml'], '/noop');
  try {
    const noop = await noopCpu(server);
    for (const size of SIZES) {
      await call(`${server.url}/train-setup?size=${size}`);
      const times: number[] = [];
      let result: Record<string, unknown> = {};
      for (let i = 0; i < 3; i++) {
        const { cpu } = await measure(server, async () => (result = (await call(`${server.url}/train?size=${size}&maxEvaluations=150`)) as Record<string, unknown>));
        times.push(cpu - noop);
      }
      fitRows.push({ size, cpu: summarize(times), result });
    }
  } finally {
    await server.stop();
  }
}

const ten = jobRows.find((r) => r.what === '10000 examples')!;
const noops = jobRows.filter((r) => r.what.includes('no-op'));
const worstNoop = Math.max(...noops.map((r) => (Number.isNaN(r.wall) ? Infinity : r.wall)));
const markdown = `## Retraining at the edge (the cron job)

${table(
  ['run', 'workerd CPU ms', 'wall ms', 'fit passes', 'isolate memory MiB: before / peak (JS heap, buffers)', 'workerd process MiB: before / peak', 'outcome', 'train / holdout examples'],
  jobRows.map((r) => [
    r.what,
    Number.isNaN(r.cpu) ? '-' : r.cpu.toFixed(0),
    Number.isNaN(r.wall) ? '-' : r.wall.toFixed(0),
    r.training?.evaluations ?? '',
    r.isolate ? `${r.isolate.beforeMb.toFixed(1)} / ${r.isolate.totalMb.toFixed(1)} (${r.isolate.heapMb.toFixed(1)}, ${r.isolate.buffersMb.toFixed(1)})` : '',
    r.rssBefore === null || r.rssPeak === null ? '' : `${r.rssBefore.toFixed(0)} / ${r.rssPeak.toFixed(0)}`,
    `${r.status}${r.reason ? `: ${r.reason}` : ''}`,
    r.train === null ? '' : `${r.train} / ${r.holdout}`,
  ]),
)}

- **Target: a run over 10k embeddings < 5 s: ${ten.wall < 5000 ? 'met' : 'MISSED'}** (${(ten.wall / 1000).toFixed(2)} s wall, ${(ten.cpu / 1000).toFixed(2)} s workerd CPU).
- **Target: a no-op run < 100 ms: ${worstNoop < 100 ? 'met' : 'MISSED'}** (${noops.map((r) => `${r.wall.toFixed(0)} ms wall / ${r.cpu.toFixed(0)} ms CPU`).join('; ')}).
- How: the job the hourly cron trigger runs (\`runTraining\`), started through \`POST /v1/train\` (the same job, which
  answers when it is done, so it can be timed; the cron handler hands it to \`waitUntil\`), against \`wrangler dev\`
  with the project's wrangler.toml on a fresh local state: backbone and a head in KV, D1 migrated, N examples stored
  in D1 (synthetic 1280-d embeddings of the current backbone in ${LABELS} labels, plain and flipped views; no photos, since
  no re-embedding is needed). Each size runs once (it publishes, or keeps the serving head if the guard says so),
  then once more with nothing new. Single runs, not medians: each run changes the state. Wall time includes local
  D1 and KV (SQLite), which miniflare runs in the same workerd process, so their CPU counts too. Wall time also
  includes waiting for a core: the 2 cores are shared with other work, so on a loaded machine wall exceeds CPU.
- Memory: "isolate" is the worker isolate alone, sampled every 20 ms through wrangler's inspector
  (\`--inspector-port\`, DevTools \`Runtime.getHeapUsage\`: the JS heap in use plus the backing stores of
  ArrayBuffers, i.e. typed arrays, and external strings; bench/lib/isolate-heap.ts). The isolate answers only
  between its synchronous stretches, so a sample right after the run sees everything the run allocated that was
  not yet garbage-collected: an upper bound on what was live at once. The 128 MB isolate limit applies to this
  figure. "workerd process" is the resident memory of the whole process (VmRSS before, VmHWM peak), which also
  holds miniflare's local D1 (SQLite and its JSON results), KV and R2: not the isolate's, and not there in
  production.

The head fit alone (\`trainHead\` on 8-bit rows as the job keeps them, warm start from a head trained on a tenth
as many, the job's warm-start tolerance, 150 evaluations at most as the job's default budget; bench worker, one
view per example, workerd CPU, median of 3):

${table(
  ['embeddings', 'CPU ms', 'iterations', 'evaluations', 'stop reason'],
  fitRows.map((r) => [r.size, fmt(r.cpu), String(r.result.iterations), String(r.result.evaluations), String(r.result.stopReason)]),
)}
`;
writeSection(import.meta.url, markdown, { jobRows, fitRows });
