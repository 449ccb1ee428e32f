/** The one module that chooses and starts the TensorFlow.js backend inside workerd. */
import simdWasmModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm';
import { startWasmBackend, type BackendInfo } from '../shared/tf/wasm-backend.ts';

/** Wrangler's CompiledWasm rule already turned the import above into a `WebAssembly.Module`. */
export function startTfBackend(): Promise<BackendInfo> {
  return startWasmBackend(() => simdWasmModule);
}
