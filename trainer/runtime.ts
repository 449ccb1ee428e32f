/**
 * The one place Node (CLI, tests, benchmarks) builds its runtime: it compiles the very wasm files the worker
 * imports (the TensorFlow.js SIMD backend, the image kernels, libwebp), so Node and workerd run identical
 * kernels and the CLI embeds its training photos exactly as the worker embeds uploads. One per process.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createImageKernels } from '../shared/image/image-kernels.ts';
import { createImageRuntime } from '../shared/image/image-runtime.ts';
import { createWebpCodec } from '../shared/image/webp/webp-codec.ts';
import type { Runtime } from '../shared/runtime.ts';
import { createWasmBackendStarter } from '../shared/tf/wasm-backend.ts';

const require = createRequire(import.meta.url);

/** Path of the image kernels (JPEG scan, IDCTs, planar resize) the worker imports too. */
export const IMAGE_KERNELS_WASM = new URL('../shared/image/kernels/image-kernels.wasm', import.meta.url);

/** Path of the integer kernels quantised backbones run on (the worker imports the same file). */
export const INT8_KERNELS_WASM = new URL('../shared/backbone/int8/int8-kernels.wasm', import.meta.url);

async function compile(path: string | URL): Promise<WebAssembly.Module> {
  return new WebAssembly.Module(await readFile(path));
}

/** Builds a runtime and starts its backend. */
export async function createNodeRuntime(): Promise<Runtime> {
  const [kernels, webp, int8Kernels] = await Promise.all([
    compile(IMAGE_KERNELS_WASM),
    compile(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm')),
    compile(INT8_KERNELS_WASM),
  ]);
  const starter = createWasmBackendStarter();
  const runtime: Runtime = {
    image: createImageRuntime({ kernels: createImageKernels(kernels), webp: createWebpCodec(webp) }),
    int8Kernels,
    backend: () => starter.start(() => compile(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm'))),
  };
  await runtime.backend();
  return runtime;
}

let processRuntime: Promise<Runtime> | undefined;

/** This process's runtime, built on first use (a failed build is retried by the next call). */
export function loadRuntime(): Promise<Runtime> {
  processRuntime ??= createNodeRuntime().catch((error: unknown) => {
    processRuntime = undefined;
    throw error;
  });
  return processRuntime;
}
