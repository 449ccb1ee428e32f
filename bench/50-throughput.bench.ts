/**
 * Throughput of the local service (`wrangler dev`, one isolate) under 1, 2 and 8 concurrent clients posting a
 * 1 MP JPEG to /v1/classify. Loopback only, bounded in requests and time.
 */
import { benchImages } from './lib/fixtures.ts';
import { prepareServiceState, startService } from './lib/service.ts';
import { table, writeSection } from './lib/section.ts';
import { quantile } from './lib/stats.ts';

const LEVELS = [
  { clients: 1, requests: 30 },
  { clients: 2, requests: 40 },
  { clients: 8, requests: 64 },
];
const TIME_LIMIT_MS = 60_000;
const image = benchImages().find((i) => i.name === '1mp.jpg')!;
const { state } = await prepareServiceState();
const server = await startService(state);
const rows: { clients: number; requests: number; seconds: number; rps: number; p50: number; p99: number; errors: number }[] = [];
try {
  const post = () => fetch(`${server.url}/v1/classify`, { method: 'POST', headers: { 'content-type': image.type }, body: image.bytes });
  for (let i = 0; i < 3; i++) await (await post()).arrayBuffer();
  for (const { clients, requests } of LEVELS) {
    let next = 0;
    let errors = 0;
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < requests && performance.now() - t0 < TIME_LIMIT_MS) {
          next++;
          const s = performance.now();
          try {
            const response = await post();
            await response.arrayBuffer();
            if (!response.ok) errors++;
          } catch {
            errors++;
          }
          latencies.push(performance.now() - s);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    rows.push({ clients, requests: latencies.length, seconds, rps: latencies.length / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), errors });
    console.error(`${clients} clients: ${(latencies.length / seconds).toFixed(1)} req/s, p50 ${quantile(latencies, 0.5).toFixed(0)} ms`);
  }
} finally {
  await server.stop();
}

const markdown = `## Throughput of the local service (1 MP JPEG, \`POST /v1/classify\`)

${table(
  ['concurrent clients', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
  rows.map((r) => [r.clients, r.requests, r.rps.toFixed(1), r.p50.toFixed(0), r.p99.toFixed(0), r.errors]),
)}

- How: \`wrangler dev\` with the project's wrangler.toml on a fresh local state (one workerd isolate, which runs one
  request's CPU work at a time), clients in the Node driver on 127.0.0.1, after 3 warm-up requests; each level is
  bounded to the request count shown and ${TIME_LIMIT_MS / 1000} s. Latency is wall time per request, so on this
  2-core machine shared with other work it also reflects their load. More clients cannot raise throughput beyond
  one core: a Workers isolate is single-threaded; production scales out across isolates.
`;
writeSection(import.meta.url, markdown, { rows });
