import { UndecodableImageError, UnsupportedMediaError } from '../../errors.ts';
import { overWhite } from '../alpha.ts';
import { ACCEPTED_TYPES } from '../image-types.ts';

/** A WebP codec's output: interleaved RGBA, 8 bits per sample. */
export interface RgbaPixels {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/** Decodes a whole WebP file; returns null (or throws) when the data is corrupt. */
export type WebpCodec = (bytes: Uint8Array) => RgbaPixels | null;

let codec: WebpCodec | undefined;

/**
 * Installs the WebP codec. It is libwebp compiled to wasm, which each runtime must load its own way
 * (workerd from a precompiled module import, Node from the file), so the adapters install it and the core
 * only calls it.
 */
export function installWebpCodec(decoder: WebpCodec): void {
  codec = decoder;
}

export function hasWebpCodec(): boolean {
  return codec !== undefined;
}

/**
 * Decodes a WebP (lossy or lossless, with or without alpha; the first frame of an animation) to RGB,
 * alpha composited over white.
 * @throws UnsupportedMediaError when no codec is installed, UndecodableImageError for corrupt data
 */
export function decodeWebp(bytes: Uint8Array): { data: Uint8Array; width: number; height: number } {
  if (!codec) throw new UnsupportedMediaError(`WebP cannot be decoded here; ${ACCEPTED_TYPES}`);
  let rgba: RgbaPixels | null;
  try {
    rgba = codec(bytes);
  } catch {
    rgba = null;
  }
  if (!rgba || rgba.width <= 0 || rgba.height <= 0 || rgba.data.length < rgba.width * rgba.height * 4) {
    throw new UndecodableImageError('truncated or corrupt WebP: libwebp could not decode it');
  }
  const count = rgba.width * rgba.height;
  const out = new Uint8Array(count * 3);
  const src = rgba.data;
  for (let i = 0, s = 0, o = 0; i < count; i++, s += 4, o += 3) {
    const a = src[s + 3];
    out[o] = overWhite(src[s], a);
    out[o + 1] = overWhite(src[s + 1], a);
    out[o + 2] = overWhite(src[s + 2], a);
  }
  return { data: out, width: rgba.width, height: rgba.height };
}
