import { DEFAULT_CONFIG, DEFAULT_JPEG_LIMITS, type JpegLimits } from '../config.ts';
import { TooLargeError } from '../errors.ts';
import { applyExifOrientation } from './exif-orientation.ts';
import type { ImageInfo, RgbImage } from './image-types.ts';
import { convertToRgb } from './jpeg/colour-convert.ts';
import { decodeJpeg, decodeJpegPlanes, type JpegScale } from './jpeg/decode-jpeg.ts';
import { planarInputSupported, type ModelImage } from './preprocess.ts';
import { decodePng } from './png/decode-png.ts';
import { checkPixelLimit, megapixels } from './pixel-limit.ts';
import { probeImage } from './probe-image.ts';
import { decodeWebp } from './webp/decode-webp.ts';
import type { ImageRuntime } from './image-runtime.ts';

export interface DecodeOptions {
  /** refuse before decoding when width*height exceeds this */
  maxPixels: number;
  /** the smallest side the caller needs; lets JPEG decode at M/8 scale (M = 1..4) in the DCT domain while keeping min(width,height) >= minSide */
  minSide?: number;
  /** refuse a WebP whose frame exceeds this many pixels (libwebp decodes at full size only); DEFAULT_CONFIG.maxWebpPixels when absent */
  maxWebpPixels?: number;
  /** the per-request decode budget in bytes (MAX_DECODE_BYTES): caps a progressive JPEG's coefficient buffers; DEFAULT_CONFIG.maxDecodeBytes when absent */
  maxDecodeBytes?: number;
  /** the adapter's image runtime (wasm kernels, WebP codec, scratch); absent: JavaScript paths only, WebP refused */
  runtime?: ImageRuntime;
  /** what probeImage already read from these bytes (so a caller that probed first does not parse the header again) */
  info?: ImageInfo;
}

function jpegLimits(maxDecodeBytes: number | undefined): JpegLimits {
  return { ...DEFAULT_JPEG_LIMITS, maxCoefficientBytes: maxDecodeBytes ?? DEFAULT_CONFIG.maxDecodeBytes };
}

/**
 * Picks the smallest JPEG DCT scale M/8 of 1/8, 2/8, 3/8 and 4/8 (libjpeg's scale_num over 8) whose
 * output, ceil(side * M / 8), still has a shorter side of at least `minSide` pixels; 8 (full size) when
 * none does or no `minSide` is given. 5/8 to 7/8 are not used: they would only shrink images that are
 * already cheap to decode at full size, and average fewer samples into each model input pixel (hot_dog.jpg,
 * 512x384, at 5/8: 1.05 grey levels from the full-size decode's input instead of 0.14). Rotation swaps
 * the sides but not the shorter one.
 */
export function chooseJpegScale(width: number, height: number, minSide: number | undefined): JpegScale {
  if (!minSide || minSide <= 0) return 8;
  for (const m of [1, 2, 3, 4] as const) {
    if (Math.min(Math.ceil((width * m) / 8), Math.ceil((height * m) / 8)) >= minSide) return m;
  }
  return 8;
}

/**
 * Decodes JPEG (baseline and progressive), PNG or WebP (when a codec is installed) to RGB, EXIF
 * orientation applied to JPEGs.
 * The pixel limit is checked against the header before any pixel is decoded. JPEGs are decoded at the
 * DCT scale chosen by `chooseJpegScale(width, height, minSide)` and PNGs box-averaged while they stream by
 * the integer factor of `choosePngFactor`, so the result may be smaller than the stored image (never with a
 * shorter side below `minSide`, unless the image itself is smaller); WebP is always decoded at full size, so
 * its frame must be within `maxWebpPixels`.
 * Returns interleaved RGB, `width * height * 3` bytes.
 * Throws TooLargeError (413, code too_many_pixels) when width*height exceeds `maxPixels`, or for WebP `maxWebpPixels` (code webp_too_large); UnsupportedMediaError (415) for WebP
 * without an installed codec, GIF, BMP, unknown bytes and JPEG variants we cannot decode (arithmetic, lossless, 12-bit);
 * UndecodableImageError (422) for truncated or corrupt data.
 */
export function decodeImage(bytes: Uint8Array, options: DecodeOptions): RgbImage {
  const info = options.info ?? probeImage(bytes);
  checkPixelLimit(info, options.maxPixels);
  const pixels = info.width * info.height;
  if (info.format === 'png') return { ...decodePng(bytes, { minSide: options.minSide }), channels: 3 };
  if (info.format === 'webp') {
    const limit = options.maxWebpPixels ?? DEFAULT_CONFIG.maxWebpPixels;
    if (pixels > limit) {
      throw new TooLargeError(
        `WebP is ${info.width}x${info.height} = ${megapixels(pixels)} MP; WebP is decoded at full size, so its limit is ${megapixels(limit)} MP; send JPEG or PNG (up to ${megapixels(options.maxPixels)} MP) instead`,
        'webp_too_large',
      );
    }
    return { ...decodeWebp(bytes, options.runtime?.webp ?? null), channels: 3 };
  }
  const scale = chooseJpegScale(info.width, info.height, options.minSide);
  const decoded = decodeJpeg(bytes, scale, { limits: jpegLimits(options.maxDecodeBytes), runtime: options.runtime });
  return applyExifOrientation({ ...decoded, channels: 3 }, info.orientation);
}

/**
 * Decodes an image for {@link modelInputFrom} with a `height` x `width` target: as {@link decodeImage}
 * with `minSide = max(height, width)`, except that a greyscale or YCbCr JPEG that is shrunk to the target
 * stays as its component planes (chroma at its own resolution), so the resize can run on the planes and
 * colour conversion on the target's pixels only. With `reuse`, the planes are only valid until the next
 * call with the same array (see decodeJpegPlanes).
 * Throws as {@link decodeImage}.
 */
export function decodeForModel(
  bytes: Uint8Array, options: Omit<DecodeOptions, 'minSide'> & { height: number; width: number; reuse?: Uint8ClampedArray[] },
): ModelImage {
  const minSide = Math.max(options.height, options.width);
  const info = options.info ?? probeImage(bytes);
  if (info.format !== 'jpeg' || info.components === 4 || info.width * info.height > options.maxPixels) {
    return { kind: 'rgb', image: decodeImage(bytes, { maxPixels: options.maxPixels, maxWebpPixels: options.maxWebpPixels, maxDecodeBytes: options.maxDecodeBytes, runtime: options.runtime, info, minSide }) };
  }
  const scale = chooseJpegScale(info.width, info.height, minSide);
  const jpeg = decodeJpegPlanes(bytes, scale, { compactChroma: true, reuse: options.reuse, limits: jpegLimits(options.maxDecodeBytes), runtime: options.runtime });
  const source = { jpeg, orientation: info.orientation, kernels: options.runtime?.kernels };
  if (planarInputSupported(source, options)) return { kind: 'planar', source };
  const rgb = convertToRgb(jpeg.planes, jpeg.width, jpeg.height, jpeg.transform);
  return { kind: 'rgb', image: applyExifOrientation({ data: rgb, width: jpeg.width, height: jpeg.height, channels: 3 }, info.orientation) };
}
