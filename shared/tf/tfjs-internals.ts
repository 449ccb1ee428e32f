/**
 * The fence: every use of tfjs-backend-wasm's private internals lives in this file, and nowhere else.
 *
 * Why we reach inside at all:
 * - workerd forbids compiling WebAssembly from bytes at run time, so the package's own loader cannot run; we
 *   instantiate a precompiled module through Emscripten's `instantiateWasm` hook and then build the `tfjs`
 *   function table (cwrap names) that the package's private init() would have built.
 * - Weights are written straight into their tensors' wasm heap memory (`makeOutput`, `typedArrayFromHeap`,
 *   how the backend's own kernels make outputs), sparing one large copy at cold start.
 * - A convolution filter's heap memory is freed once XNNPACK has packed it (`dataIdMap`, `memoryOffset`,
 *   `wasm._free`), halving the resident weights.
 * None of this is public API: it was written against TFJS_FENCED_VERSION, and `checkTfjsInternals` (run by
 * test/unit/tfjs-internals.test.ts) fails loudly when the installed version or these fields differ.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import createWasmBackendModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';

/** The tfjs-core and tfjs-backend-wasm version the private accesses below were read from. */
export const TFJS_FENCED_VERSION = '4.22.0';

interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => unknown;
  tfjs?: Record<string, unknown>;
}

/** The wasm exports the table below wraps: the C names of tfjs-backend-wasm 4.22's private init(). */
const TABLE_EXPORTS = ['init', 'init_with_threads_count', 'get_threads_count', 'register_tensor', 'dispose_data', 'dispose'];

/** Instantiates the backend's Emscripten module from a compiled module and builds its private function table. */
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

/** A BackendWasm running on an already compiled backend module (the public constructor, a private module shape). */
export async function createBackendWasm(simdModule: WebAssembly.Module): Promise<BackendWasm> {
  return new BackendWasm((await instantiateBackendModule(simdModule)) as never);
}

/**
 * A fresh float32 tensor of `length` values on the wasm heap and a view of its memory to fill (valid until the
 * heap next grows).
 */
export function allocateHeapTensor(backend: BackendWasm, length: number): { tensor: tf.Tensor; view: Float32Array } {
  const info = backend.makeOutput([length], 'float32');
  const tensor = tf.engine().makeTensorFromTensorInfo(info, backend);
  return { tensor, view: backend.typedArrayFromHeap(info) as Float32Array };
}

/**
 * Frees a tensor's wasm heap memory but keeps the tensor: its offset becomes 0, so its eventual dispose frees
 * nothing twice (free(NULL) does nothing). Its values must never be read again.
 */
export function releaseHeapMemory(backend: BackendWasm, tensor: tf.Tensor): void {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (!data || data.memoryOffset === 0) return;
  (backend.wasm as unknown as { _free(pointer: number): void })._free(data.memoryOffset);
  data.memoryOffset = 0;
}

/**
 * What differs from the tfjs this fence was written for: version mismatches, and private methods or fields the
 * code above uses that are missing. Empty when all is as expected.
 * @param backend a started BackendWasm, to check its instance fields too (the prototype only when absent)
 * @param installed the versions to check, the installed ones by default
 */
export function checkTfjsInternals(
  backend?: BackendWasm,
  installed: { core: string; wasm: string } = { core: tf.version_core, wasm: version_wasm },
): string[] {
  const problems: string[] = [];
  for (const [name, version] of [['@tensorflow/tfjs-core', installed.core], ['@tensorflow/tfjs-backend-wasm', installed.wasm]]) {
    if (version !== TFJS_FENCED_VERSION) {
      problems.push(`${name} is ${version}, but shared/tf/tfjs-internals.ts was written for ${TFJS_FENCED_VERSION}; re-read its private accesses against the new version, then update TFJS_FENCED_VERSION`);
    }
  }
  const proto = BackendWasm.prototype as unknown as Record<string, unknown>;
  for (const method of ['makeOutput', 'typedArrayFromHeap']) {
    if (typeof proto[method] !== 'function') problems.push(`BackendWasm.prototype.${method} is missing (tfjs-internals.ts calls it)`);
  }
  if (backend) {
    const wasm = backend.wasm as unknown as Record<string, unknown>;
    if (!(backend.dataIdMap && typeof backend.dataIdMap.get === 'function')) problems.push('BackendWasm.dataIdMap is missing (releaseHeapMemory reads it)');
    if (typeof wasm._free !== 'function') problems.push('BackendWasm.wasm._free is missing (releaseHeapMemory calls it)');
    if (typeof wasm.cwrap !== 'function') problems.push('the Emscripten module has no cwrap (instantiateBackendModule builds the tfjs table with it)');
    for (const name of TABLE_EXPORTS) {
      if (typeof wasm[`_${name}`] !== 'function') problems.push(`the backend wasm does not export ${name} (the tfjs function table wraps it)`);
    }
  }
  return problems;
}
