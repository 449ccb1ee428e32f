/**
 * Run as its own (cold) process: `node --import tsx bench/lib/cold-breakdown.ts`. The CPU milliseconds of each
 * step of a cold start, in Node with the same wasm binary and code as the worker (workerd's clock cannot split
 * them). Prints JSON.
 */
import { readFileSync } from 'node:fs';
import { createBackboneModel } from '../../shared/backbone/backbone-model.ts';
import { importTflite } from '../../shared/backbone/import-tflite.ts';
import { startTfBackend } from '../../trainer/tf-backend.ts';
import { BACKBONE_PATH } from './fixtures.ts';

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const bytes = new Uint8Array(readFileSync(BACKBONE_PATH));
const steps: Record<string, number> = {};
let t = cpu();
const step = (name: string) => {
  const now = cpu();
  steps[name] = now - t;
  t = now;
};
await startTfBackend();
step('start wasm backend');
const graph = importTflite(bytes, { name: 'backbone', embeddingOnly: true });
step('import TFLite up to the embedding (parse, dequantize, transpose)');
const model = createBackboneModel(graph);
step('upload weights to the wasm heap');
const input = new Float32Array(224 * 224 * 3).fill(0.1);
model.embed(input, 1);
step('first forward');
model.embed(input, 1);
step('second forward');
model.embed(input, 1);
step('third forward');
console.log(JSON.stringify(steps));
