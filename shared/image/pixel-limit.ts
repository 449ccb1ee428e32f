import { TooLargeError } from '../errors.ts';

/** Megapixels for a message: whole numbers from 10 MP up, one decimal below. */
export function megapixels(pixels: number): string {
  const mp = pixels / 1e6;
  return mp >= 10 ? String(Math.round(mp)) : String(Math.round(mp * 10) / 10);
}

/**
 * The pixel limit (MAX_IMAGE_PIXELS), checked against the header's size before any pixel is decoded: the one
 * place the rule and its message live (the decoders and the upload routes all call it).
 * @throws TooLargeError (413, code too_many_pixels) when width * height exceeds `maxPixels`
 */
export function checkPixelLimit(size: { width: number; height: number }, maxPixels: number): void {
  const pixels = size.width * size.height;
  if (pixels <= maxPixels) return;
  throw new TooLargeError(
    `image is ${size.width}x${size.height} = ${megapixels(pixels)} MP; the limit is ${megapixels(maxPixels)} MP`,
    'too_many_pixels',
  );
}
