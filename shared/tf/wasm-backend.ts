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
import createWasmBackendModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';

export interface BackendInfo {
  backend: string;
  simd: boolean;
  threads: number;
  initMs: number;
}

interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => unknown;
  tfjs?: Record<string, unknown>;
}

let started: Promise<BackendInfo> | undefined;

/** True where the runtime validates a module that uses a v128 SIMD instruction. */
export function hasWasmSimd(): boolean {
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
  return WebAssembly.validate(probe);
}

async function instantiateBackendModule(simdModule: WebAssembly.Module): Promise<EmscriptenModule> {
  const module = (await createWasmBackendModule({
    instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      WebAssembly.instantiate(simdModule, imports).then((instance) => receive(instance, simdModule));
      return {};
    },
  } as never)) as unknown as EmscriptenModule;
  // The same function table the package's own init() builds; BackendWasm calls through it.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/**
 * Registers and selects the `wasm` backend once per isolate or process. A failed start is forgotten,
 * so the next call retries.
 * @param loadSimdModule returns the compiled `tfjs-backend-wasm-simd.wasm` (or, with `simd: false`, the plain
 *   `tfjs-backend-wasm.wasm`, which only the benchmark uses for comparison)
 * @throws Error when the runtime has no WebAssembly SIMD
 */
export function startWasmBackend(
  loadSimdModule: () => WebAssembly.Module | Promise<WebAssembly.Module>,
  options: { simd: boolean } = { simd: true },
): Promise<BackendInfo> {
  started ??= (async () => {
    const t0 = Date.now();
    if (options.simd && !hasWasmSimd()) throw new Error('WebAssembly SIMD is not available in this runtime; edgehead needs it');
    const simdModule = await loadSimdModule();
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', async () => new BackendWasm((await instantiateBackendModule(simdModule)) as never), 3);
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start its wasm backend');
    await tf.ready();
    return { backend: tf.getBackend(), simd: options.simd, threads: 1, initMs: Date.now() - t0 };
  })().catch((error: unknown) => {
    started = undefined;
    throw error;
  });
  return started;
}
