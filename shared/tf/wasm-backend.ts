/**
 * Starts TensorFlow.js on its WebAssembly SIMD backend from an already compiled `WebAssembly.Module`.
 *
 * workerd forbids compiling WebAssembly from bytes at run time, so the stock loader of
 * tfjs-backend-wasm (fetch + instantiate) cannot work there; instantiating a precompiled module is
 * allowed. The worker gets the module from wrangler's CompiledWasm import, Node compiles the same
 * file, so both run the very same kernels and give the same embeddings.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { allocateHeapTensor, createBackendWasm, releaseHeapMemory } from './tfjs-internals.ts';

export interface BackendInfo {
  backend: string;
  simd: boolean;
  threads: number;
  initMs: number;
}

/** True where the runtime validates a module that uses a v128 SIMD instruction. */
export function hasWasmSimd(): boolean {
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
  return WebAssembly.validate(probe);
}

/** Starts the wasm backend once; owned by each adapter's runtime (one per isolate or process). */
export interface WasmBackendStarter {
  /**
   * Registers and selects the `wasm` backend the first time; later calls return the same promise. A failed
   * start is forgotten, so the next call retries.
   * @param loadSimdModule returns the compiled `tfjs-backend-wasm-simd.wasm` (or, with `simd: false`, the plain
   *   `tfjs-backend-wasm.wasm`, which only the benchmark uses for comparison)
   * @throws Error when the runtime has no WebAssembly SIMD
   */
  start(loadSimdModule: () => WebAssembly.Module | Promise<WebAssembly.Module>, options?: { simd: boolean }): Promise<BackendInfo>;
}

/** A starter holding its own start promise (no module-level state: the adapter keeps the starter). */
export function createWasmBackendStarter(): WasmBackendStarter {
  let started: Promise<BackendInfo> | undefined;
  return {
    start(loadSimdModule, options = { simd: true }) {
      started ??= startBackend(loadSimdModule, options).catch((error: unknown) => {
        started = undefined;
        throw error;
      });
      return started;
    },
  };
}

async function startBackend(
  loadSimdModule: () => WebAssembly.Module | Promise<WebAssembly.Module>,
  options: { simd: boolean },
): Promise<BackendInfo> {
  const t0 = Date.now();
  if (options.simd && !hasWasmSimd()) throw new Error('WebAssembly SIMD is not available in this runtime; edgehead needs it');
  const simdModule = await loadSimdModule();
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => createBackendWasm(simdModule), 3);
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start its wasm backend');
  await tf.ready();
  return { backend: tf.getBackend(), simd: options.simd, threads: 1, initMs: Date.now() - t0 };
}

/** Float32 tensors allocated in the wasm heap before their values are written; see `wasmHeapTensors`. */
export interface HeapTensors {
  /** a 1-D tensor's memory in the wasm heap, as a view to fill before the next `allocate` (which may grow the heap) */
  allocate(length: number): Float32Array;
  /** the tensor behind an array `allocate` returned, reshaped; the caller owns it. Undefined for any other array. */
  take(array: Float32Array, shape: number[]): tf.Tensor | undefined;
  /** disposes the tensors nobody took */
  dispose(): void;
}

/**
 * Lets weights be written straight into the memory of their tensors on the wasm heap, instead of into a
 * Float32Array that `tf.tensor` then copies there: one fresh copy of the weights instead of two, and on this
 * platform every first touch of fresh memory costs several milliseconds per megabyte. Private tfjs internals,
 * fenced in tfjs-internals.ts.
 * @returns null when the active backend is not wasm
 */
export function wasmHeapTensors(): HeapTensors | null {
  const backend = tf.backend();
  if (!(backend instanceof BackendWasm)) return null;
  const tensors = new Map<Float32Array, tf.Tensor>();
  return {
    allocate(length) {
      const { tensor, view } = allocateHeapTensor(backend, length);
      tensors.set(view, tensor);
      return view;
    },
    take(array, shape) {
      const tensor = tensors.get(array);
      if (!tensor) return undefined;
      tensors.delete(array);
      const shaped = tf.reshape(tensor, shape);
      tensor.dispose();
      return shaped;
    },
    dispose() {
      tf.dispose([...tensors.values()]);
      tensors.clear();
    },
  };
}

/**
 * Frees the wasm heap memory of a convolution filter once XNNPACK has packed it into the layer's cached
 * operator, keeping the tensor itself: tfjs-backend-wasm caches the operator under the filter's tensor id and
 * deletes it when that tensor is disposed, and on a cache hit reads only the packed copy. The tensor's memory
 * offset becomes 0, so its eventual dispose frees nothing twice (free(NULL) does nothing). Its values must
 * never be read again: only ever pass it to the same convolution (same strides, padding, dilations, bias and
 * activation, hence the same cached operator). Private tfjs internals, fenced in tfjs-internals.ts.
 */
export function freePackedFilter(filter: tf.Tensor): void {
  const backend = tf.backend();
  if (!(backend instanceof BackendWasm)) throw new Error('freePackedFilter needs the wasm backend');
  releaseHeapMemory(backend, filter);
}
