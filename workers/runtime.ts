/**
 * The one place the worker builds its runtime: the TensorFlow.js wasm backend, the image kernels, the int8
 * kernels and the WebP codec, from the modules wrangler's CompiledWasm rule already compiled (workerd cannot compile wasm from
 * bytes). One runtime per isolate; the app hands it to every request as `c.var.runtime`.
 */
import simdWasmModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm';
import webpWasmModule from '@jsquash/webp/codec/dec/webp_dec.wasm';
import imageKernelsModule from '../shared/image/kernels/image-kernels.wasm';
import int8KernelsModule from '../shared/backbone/int8/int8-kernels.wasm';
import { createImageKernels } from '../shared/image/image-kernels.ts';
import { createImageRuntime } from '../shared/image/image-runtime.ts';
import { createWebpCodec } from '../shared/image/webp/webp-codec.ts';
import type { Runtime } from '../shared/runtime.ts';
import { createWasmBackendStarter } from '../shared/tf/wasm-backend.ts';

/** Builds a runtime; the backend starts on the first `backend()` call (a failed start is retried). */
export function createWorkerRuntime(): Runtime {
  const starter = createWasmBackendStarter();
  return {
    image: createImageRuntime({ kernels: createImageKernels(imageKernelsModule), webp: createWebpCodec(webpWasmModule) }),
    int8Kernels: int8KernelsModule,
    backend: () => starter.start(() => simdWasmModule),
  };
}

let isolate: Runtime | undefined;

/** This isolate's runtime, built on first use. */
export function isolateRuntime(): Runtime {
  isolate ??= createWorkerRuntime();
  return isolate;
}
