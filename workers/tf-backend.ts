/** The one module that chooses and starts the TensorFlow.js backend inside workerd, and the image kernels. */
import simdWasmModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm';
import imageKernelsModule from '../shared/image/kernels/image-kernels.wasm';
import int8KernelsModule from '../shared/backbone/int8/int8-kernels.wasm';
import { installInt8Kernels, int8KernelsInstalled } from '../shared/backbone/int8/int8-engine.ts';
import { installImageKernels, imageKernels } from '../shared/image/image-kernels.ts';
import { createWasmBackendStarter, type BackendInfo } from '../shared/tf/wasm-backend.ts';

/** This isolate's backend starter: it remembers the start, so every request after the first reuses it. */
const backend = createWasmBackendStarter();

/**
 * Wrangler's CompiledWasm rule already turned the imports above into `WebAssembly.Module`s. The image
 * kernels and the int8 kernels of quantised backbones are installed (once per isolate) at the same moment, so no
 * image is ever embedded, and no backbone imported, before them.
 */
export function startTfBackend(): Promise<BackendInfo> {
  if (!imageKernels()) installImageKernels(imageKernelsModule);
  if (!int8KernelsInstalled()) installInt8Kernels(int8KernelsModule);
  return backend.start(() => simdWasmModule);
}
