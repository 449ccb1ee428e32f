/** The one module that chooses and starts the TensorFlow.js backend in Node (CLI, tests, benchmarks). */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { startWasmBackend, type BackendInfo } from '../shared/tf/wasm-backend.ts';

const require = createRequire(import.meta.url);

/** Compiles the same SIMD binary the worker imports, so Node and workerd run identical kernels. */
export function startTfBackend(): Promise<BackendInfo> {
  return startWasmBackend(async () => {
    const path = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm');
    return new WebAssembly.Module(await readFile(path));
  });
}
