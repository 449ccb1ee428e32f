/**
 * Cold start: the first `/v1/classify` (1 MP JPEG) after the isolate starts, which reads the backbone from KV,
 * starts the wasm backend, imports the TFLite file and runs the first forward. Three fresh `wrangler dev`
 * processes on the same local state.
 */
import { benchImages } from './lib/fixtures.ts';
import { prepareServiceState, startService } from './lib/service.ts';
import { table, writeSection } from './lib/section.ts';
import { fmt, summarize } from './lib/stats.ts';
import { call, measure } from './lib/wrangler-dev.ts';

const ROUNDS = 3;
const image = benchImages().find((i) => i.name === '1mp.jpg')!;
const state = await prepareServiceState();
const cold = { cpu: [] as number[], wall: [] as number[] };
const warm = { cpu: [] as number[], wall: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  const server = await startService(state);
  try {
    const post = () => call(`${server.url}/v1/classify`, { method: 'POST', headers: { 'content-type': image.type }, body: image.bytes });
    const first = await measure(server, post);
    cold.cpu.push(first.cpu);
    cold.wall.push(first.wall);
    await post();
    const second = await measure(server, post);
    warm.cpu.push(second.cpu);
    warm.wall.push(second.wall);
    console.error(`cold start round ${round + 1}: first request ${first.cpu.toFixed(0)} ms CPU, ${first.wall.toFixed(0)} ms wall; warm ${second.cpu.toFixed(0)} ms CPU`);
  } finally {
    await server.stop();
  }
}

const coldCpu = summarize(cold.cpu);
const coldWall = summarize(cold.wall);
const markdown = `## Cold start (first \`/v1/classify\` after the isolate starts, 1 MP JPEG)

${table(
  ['', 'workerd CPU ms', 'wall ms'],
  [
    ['first request (cold)', fmt(coldCpu), fmt(coldWall)],
    ['third request (warm)', fmt(summarize(warm.cpu)), fmt(summarize(warm.wall))],
  ],
)}

- **Target: cold start < 400 ms: ${coldWall.median < 400 ? 'met' : 'MISSED'}** (median wall ${coldWall.median.toFixed(0)} ms, CPU ${coldCpu.median.toFixed(0)} ms).
  The cold request includes reading the 3.6 MB backbone from local KV (SQLite), starting the wasm backend,
  importing the TFLite file (dequantize + transpose), uploading the weights to the wasm heap, the first forward
  (slower than later ones) and the ordinary decode/resize/head.
- How: ${ROUNDS} fresh \`wrangler dev\` processes on one local state; each is probed with a 404 request (isolate up,
  no model or backend loaded), then the Node driver times the first \`POST /v1/classify\` (wall clock, and the
  worker's workerd CPU from /proc) and a third one for comparison.
`;
writeSection(import.meta.url, markdown, { cold, warm });
