import createWebpModule from '@jsquash/webp/codec/dec/webp_dec.js';
import { installWebpCodec, type RgbaPixels } from './decode-webp.ts';

interface WebpModule {
  decode(bytes: Uint8Array): RgbaPixels | null;
}

let started: Promise<void> | undefined;

/**
 * Instantiates libwebp's decoder (jSquash's wasm build) from an already compiled module and installs it
 * for `decodeImage`. workerd forbids compiling wasm from bytes at run time but allows instantiating a
 * precompiled module, so each adapter passes its own. Once per isolate or process; a failure is forgotten
 * so the next call retries.
 */
export function startWebpCodec(loadModule: () => WebAssembly.Module | Promise<WebAssembly.Module>): Promise<void> {
  started ??= (async () => {
    const compiled = await loadModule();
    const module = (await createWebpModule({
      noInitialRun: true,
      instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) {
        WebAssembly.instantiate(compiled, imports).then(receive);
        return {};
      },
    } as never)) as unknown as WebpModule;
    installWebpCodec((bytes) => module.decode(bytes));
  })().catch((error: unknown) => {
    started = undefined;
    throw error;
  });
  return started;
}
