/**
 * Run on its own: `node --import tsx bench/lib/cold-profile.ts [ROUNDS]`. Splits a cold start's workerd CPU by
 * step: each round starts a fresh bench worker and runs the steps as separate requests in one isolate, timing
 * each from /proc (workerd's clock cannot split them). Prints JSON: per step, the median CPU ms minus a no-op
 * request's.
 */
import { backboneBytes } from './fixtures.ts';
import { summarize } from './stats.ts';
import { call, measure, startWranglerDev } from './wrangler-dev.ts';

const ROUNDS = Number(process.argv[2] ?? '3');
const STEPS = ['backend', 'bytes', 'sha256', 'import', 'upload', 'forward', 'forward', 'forward'];
const bytes = backboneBytes();
const cpu: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  const server = await startWranglerDev(['-c', 'bench/wrangler.bench.toml'], '/noop');
  try {
    const noop = (await measure(server, () => call(`${server.url}/noop`))).cpu;
    const seen = new Map<string, number>();
    for (const step of STEPS) {
      const n = (seen.get(step) ?? 0) + 1;
      seen.set(step, n);
      const name = n > 1 ? `${step} ${n}` : step;
      const init = step === 'bytes' ? { method: 'POST', body: bytes } : undefined;
      const { cpu: ms } = await measure(server, () => call(`${server.url}/cold-step?step=${step}`, init));
      (cpu[name] ??= []).push(ms - noop);
    }
  } finally {
    await server.stop();
  }
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(summarize(v).median)]))));
