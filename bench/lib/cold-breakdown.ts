/**
 * Run as its own (cold) process: `node --import tsx bench/lib/cold-breakdown.ts`. The CPU milliseconds of each
 * step of a cold start, in Node with the same wasm binary and code as the worker (workerd's clock cannot split
 * them). Prints JSON.
 */
import { readFileSync } from 'node:fs';
import { importBackboneModel } from '../../shared/backbone/backbone-model.ts';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import { modelInputFrom } from '../../shared/image/preprocess.ts';
import { loadRuntime } from '../../trainer/runtime.ts';
import { BACKBONE_PATH, benchImages } from './fixtures.ts';

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const bytes = new Uint8Array(readFileSync(BACKBONE_PATH));
const photo = benchImages().find((i) => i.name === '1mp.jpg')!.bytes;
const steps: Record<string, number> = {};
let t = cpu();
const step = (name: string) => {
  const now = cpu();
  steps[name] = now - t;
  t = now;
};
const runtime = await loadRuntime();
step('start the runtime: wasm backend, image kernels, compile libwebp');
const model = importBackboneModel(bytes, { name: 'backbone', embeddingOnly: true });
step('import TFLite up to the embedding and pack its weights (importBackboneModel: the int8 engine for this quantised file)');
const input = new Float32Array(224 * 224 * 3).fill(0.1);
model.embed(input, 1);
step('first forward');
model.embed(input, 1);
step('second forward');
model.embed(input, 1);
step('third forward');
const decoded = decodeForModel(photo, { maxPixels: 50_000_000, height: 224, width: 224, runtime: runtime.image });
step('decode the 1 MP JPEG as the service does (first time in the isolate)');
modelInputFrom(decoded, { height: 224, width: 224, pixelScale: 1 / 128, pixelZeroPoint: 128 });
step('model input at 224x224: colour conversion, resize, normalization (first time)');
console.log(JSON.stringify(steps));
