/** The one module that chooses and starts the TensorFlow.js backend inside workerd, and the image kernels. */
import simdWasmModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm';
import imageKernelsModule from '../shared/image/kernels/image-kernels.wasm';
import { installImageKernels, imageKernels } from '../shared/image/image-kernels.ts';
import { createWasmBackendStarter, type BackendInfo } from '../shared/tf/wasm-backend.ts';

/** This isolate's backend starter: it remembers the start, so every request after the first reuses it. */
const backend = createWasmBackendStarter();

/**
 * Wrangler's CompiledWasm rule already turned the imports above into `WebAssembly.Module`s. The image
 * kernels are installed (once per isolate) at the same moment, so no image is ever embedded before it.
 */
export function startTfBackend(): Promise<BackendInfo> {
  if (!imageKernels()) installImageKernels(imageKernelsModule);
  return backend.start(() => simdWasmModule);
}
