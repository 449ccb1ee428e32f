/** Starts the wasm WebP decoder inside workerd, only when a WebP arrives (it costs its own wasm heap). */
import webpWasmModule from '@jsquash/webp/codec/dec/webp_dec.wasm';
import { startWebpCodec } from '../shared/image/webp/start-webp-codec.ts';

export function startWebp(): Promise<void> {
  return startWebpCodec(() => webpWasmModule);
}
