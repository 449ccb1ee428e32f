/** Starts the wasm WebP decoder in Node from the same file the worker imports. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { startWebpCodec } from '../shared/image/webp/start-webp-codec.ts';

const require = createRequire(import.meta.url);

export function startWebp(): Promise<void> {
  return startWebpCodec(async () => new WebAssembly.Module(await readFile(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'))));
}
