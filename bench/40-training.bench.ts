/**
 * Training at the edge. The cron job (issue 3) is not on main yet, so this measures its core as the stand-in:
 * `trainHead` warm-started from an earlier head, over 1k and 10k synthetic 1280-d embeddings in 10 classes,
 * inside workerd (bench worker), CPU time.
 */
import { table, writeSection } from './lib/section.ts';
import { fmt, summarize, type Summary } from './lib/stats.ts';
import { call, measure, noopCpu, startWranglerDev } from './lib/wrangler-dev.ts';

const SIZES = [1000, 10000];
const MAX_EVALUATIONS = 100;
const rows: { size: number; cpu: Summary; result: Record<string, unknown> }[] = [];
const server = await startWranglerDev(['-c', 'bench/wrangler.bench.toml'], '/noop');
try {
  const noop = await noopCpu(server);
  for (const size of SIZES) {
    await call(`${server.url}/train-setup?size=${size}`);
    const times: number[] = [];
    let result: Record<string, unknown> = {};
    for (let i = 0; i < 3; i++) {
      const { cpu } = await measure(server, async () => (result = (await call(`${server.url}/train?size=${size}&maxEvaluations=${MAX_EVALUATIONS}`)) as Record<string, unknown>));
      times.push(cpu - noop);
    }
    rows.push({ size, cpu: summarize(times), result });
    console.error(`train ${size}: ${fmt(summarize(times))} ms`, JSON.stringify(result));
  }
} finally {
  await server.stop();
}

const ten = rows.find((r) => r.size === 10000)!;
const markdown = `## Training (stand-in: warm-started \`trainHead\` inside workerd)

The scheduled fine-tuning job (issue 3, branch issue-3) had not landed on main when this benchmark was written, so
the figures below are its core, not the job: \`trainHead\` with a warm start over N stored embeddings (synthetic,
1280-d, 10 classes, from \`makeSyntheticSet\`; the initial head was trained on N/10 earlier examples of the same
distribution), capped at ${MAX_EVALUATIONS} evaluations, timed as workerd CPU of one request. Reading embeddings
from storage and publishing are not included. **A no-op run (nothing new) is not measured**: it needs the job.

${table(
  ['stored embeddings', 'CPU ms', 'iterations', 'evaluations', 'stop reason'],
  rows.map((r) => [r.size, fmt(r.cpu), String(r.result.iterations), String(r.result.evaluations), String(r.result.stopReason)]),
)}

- **Target (stand-in): 10k embeddings < 5 s: ${ten.cpu.median < 5000 ? 'met' : 'MISSED'}** (${(ten.cpu.median / 1000).toFixed(2)} s).
`;
writeSection(import.meta.url, markdown, { maxEvaluations: MAX_EVALUATIONS, rows });
