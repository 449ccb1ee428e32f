/** The one module that chooses and starts the TensorFlow.js backend in Node (CLI, tests, benchmarks), and the image kernels. */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { installInt8Kernels, int8KernelsInstalled } from '../shared/backbone/int8/int8-engine.ts';
import { installImageKernels, imageKernels } from '../shared/image/image-kernels.ts';
import { createWasmBackendStarter, type BackendInfo } from '../shared/tf/wasm-backend.ts';

const require = createRequire(import.meta.url);
/** This process's backend starter: it remembers the start, so every caller after the first reuses it. */
const backend = createWasmBackendStarter();

/** Path of the image kernels (JPEG scan, IDCTs, planar resize) the worker imports too. */
export const IMAGE_KERNELS_WASM = new URL('../shared/image/kernels/image-kernels.wasm', import.meta.url);

/** Path of the integer kernels quantised backbones run on (the worker imports the same file). */
export const INT8_KERNELS_WASM = new URL('../shared/backbone/int8/int8-kernels.wasm', import.meta.url);

/**
 * Compiles the same SIMD binaries the worker imports, so Node and workerd run identical kernels: the
 * backend's, and the image kernels that decode JPEG scans and resize planes into the model input (installed first,
 * so the CLI embeds its training photos exactly as the worker embeds uploads).
 */
export function startTfBackend(): Promise<BackendInfo> {
  if (!imageKernels()) installImageKernels(new WebAssembly.Module(readFileSync(IMAGE_KERNELS_WASM)));
  if (!int8KernelsInstalled()) installInt8Kernels(new WebAssembly.Module(readFileSync(INT8_KERNELS_WASM)));
  return backend.start(async () => {
    const path = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm');
    return new WebAssembly.Module(await readFile(path));
  });
}
