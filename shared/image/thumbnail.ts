/** Small previews of stored photos (the admin page's thumbnails), made from the original bytes. */
import { decodeImage, type DecodeOptions } from './decode-image.ts';
import type { RgbImage } from './image-types.ts';
import { encodePng } from './png/encode-png.ts';

/** Longest side of a thumbnail, in pixels: a 160x120 PNG of a photo is about 30-50 KB. */
export const THUMBNAIL_SIDE = 160;

/**
 * Shrinks an image so its longer side is at most `maxSide`, averaging each output pixel's whole source box.
 * An image already within `maxSide` is returned as it is.
 */
export function shrinkToFit(image: RgbImage, maxSide: number): RgbImage {
  const scale = maxSide / Math.max(image.width, image.height);
  if (scale >= 1) return image;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * image.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * image.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * image.width) / width));
      let r = 0, g = 0, b = 0;
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          const p = (sy * image.width + sx) * 3;
          r += image.data[p];
          g += image.data[p + 1];
          b += image.data[p + 2];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const q = (y * width + x) * 3;
      data[q] = Math.round(r / n);
      data[q + 1] = Math.round(g / n);
      data[q + 2] = Math.round(b / n);
    }
  }
  return { data, width, height, channels: 3 };
}

/**
 * A PNG thumbnail of a JPEG, PNG or WebP photo whose longer side is at most `maxSide` (EXIF orientation applied).
 * JPEGs decode at a reduced DCT scale and PNGs are averaged while they stream, so a large photo is cheap.
 * @throws as `decodeImage` (413 over the pixel or decode budgets, 415 unsupported, 422 corrupt)
 */
export function thumbnailPng(bytes: Uint8Array, options: DecodeOptions, maxSide = THUMBNAIL_SIDE): { png: Uint8Array<ArrayBuffer>; width: number; height: number } {
  const decoded = decodeImage(bytes, { ...options, minSide: maxSide });
  const small = shrinkToFit(decoded, maxSide);
  return { png: encodePng(small), width: small.width, height: small.height };
}
