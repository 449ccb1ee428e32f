/**
 * Splits a cold start's workerd CPU by step: each round starts a fresh bench worker and runs the steps of a
 * cold start as separate requests in its one isolate, timing each from /proc (workerd's clock cannot split
 * them). Used by `30-cold-start.bench.ts`.
 */
import { backboneBytes, benchImages } from './fixtures.ts';
import { summarize } from './stats.ts';
import { call, measure, startWranglerDev } from './wrangler-dev.ts';

/** What each step does in the bench worker's `/cold-step` route, in the order a cold request does them. */
export const COLD_STEPS: Record<string, string> = {
  backend: 'start wasm backend',
  bytes: 'receive the 3.6 MB backbone (a request body here; KV in the service)',
  sha256: 'sha256 of the backbone',
  model: 'import TFLite up to the embedding and pack its weights (importBackboneModel: the int8 engine for this quantised file)',
  forward: 'first forward',
  'forward 2': 'second forward',
  'forward 3': 'third forward',
  decode: 'decode the 1 MP JPEG as the service does (first time in the isolate)',
  resize: 'model input at 224x224: colour conversion, resize, normalization (first time)',
};

/** Median workerd CPU ms of each step over `rounds` fresh isolates, a no-op request's CPU subtracted. */
export async function profileColdSteps(rounds: number): Promise<Record<string, number>> {
  const bytes = backboneBytes();
  const photo = benchImages().find((i) => i.name === '1mp.jpg')!.bytes;
  const cpu: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    const server = await startWranglerDev(['-c', 'bench/wrangler.bench.toml'], '/noop');
    try {
      const noop = (await measure(server, () => call(`${server.url}/noop`))).cpu;
      for (const name of Object.keys(COLD_STEPS)) {
        const step = name.split(' ')[0];
        const init = step === 'bytes' ? { method: 'POST', body: bytes } : step === 'decode' ? { method: 'POST', body: photo } : undefined;
        const { cpu: ms } = await measure(server, () => call(`${server.url}/cold-step?step=${step}`, init));
        (cpu[name] ??= []).push(ms - noop);
      }
    } finally {
      await server.stop();
    }
  }
  return Object.fromEntries(Object.entries(cpu).map(([name, values]) => [name, summarize(values).median]));
}
