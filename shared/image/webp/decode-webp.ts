import { UndecodableImageError, UnsupportedMediaError } from '../../errors.ts';
import { overWhite } from '../alpha.ts';
import { ACCEPTED_TYPES } from '../image-types.ts';

/** A WebP codec's output: interleaved RGBA, 8 bits per sample. */
export interface RgbaPixels {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/** Raised when libwebp itself cannot start: the server's fault, never blamed on the image. */
export class WebpStartError extends Error {}

/** Decodes a whole WebP file; returns null (or throws) when the data is corrupt; WebpStartError when libwebp cannot start. */
export type WebpCodec = (bytes: Uint8Array) => RgbaPixels | null;

/**
 * Decodes a WebP (lossy or lossless, with or without alpha; the first frame of an animation) to RGB,
 * alpha composited over white.
 * @param codec the runtime's libwebp (see webp-codec.ts); null where WebP is not decoded
 * @throws UnsupportedMediaError when there is no codec, UndecodableImageError for corrupt data
 */
export function decodeWebp(bytes: Uint8Array, codec: WebpCodec | null): { data: Uint8Array; width: number; height: number } {
  if (!codec) throw new UnsupportedMediaError(`WebP cannot be decoded here; ${ACCEPTED_TYPES}`);
  let rgba: RgbaPixels | null;
  try {
    rgba = codec(bytes);
  } catch (error) {
    if (error instanceof WebpStartError) throw error;
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
