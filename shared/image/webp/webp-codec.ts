import createWebpModule from '@jsquash/webp/codec/dec/webp_dec.js';
import { WebpStartError, type RgbaPixels, type WebpCodec } from './decode-webp.ts';

interface WebpModule {
  decode(bytes: Uint8Array): RgbaPixels | null;
}

/**
 * libwebp's decoder (jSquash's wasm build) over an already compiled module: workerd forbids compiling wasm
 * from bytes at run time but allows instantiating a precompiled module, so each adapter passes its own.
 * The module is instantiated synchronously on the first decode, not before: its emscripten heap starts at
 * 16 MiB, which an isolate that never sees a WebP does not pay. Nobody has to start it first.
 */
export function createWebpCodec(compiled: WebAssembly.Module): WebpCodec {
  let module: WebpModule | undefined;
  return (bytes) => {
    module ??= instantiate(compiled);
    return module.decode(bytes);
  };
}

function instantiate(compiled: WebAssembly.Module): WebpModule {
  // With an instantiateWasm hook that answers at once, emscripten initialises the runtime before its factory
  // returns, and binds the exports onto the object it was given.
  const target = {
    noInitialRun: true,
    instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) {
      receive(new WebAssembly.Instance(compiled, imports));
      return {};
    },
  } as Record<string, unknown>;
  let failure: unknown;
  try {
    (createWebpModule(target as never) as Promise<unknown>).catch((error: unknown) => {
      failure = error;
    });
  } catch (error) {
    failure = error;
  }
  if (typeof target.decode !== 'function') throw new WebpStartError(`libwebp did not initialise synchronously${failure ? `: ${String(failure)}` : ''}`);
  return target as unknown as WebpModule;
}
