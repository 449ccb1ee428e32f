import { UndecodableImageError, UnsupportedMediaError } from '../errors.ts';
import { readExifOrientation } from './exif-orientation.ts';
import { ACCEPTED_TYPES, type ImageFormat, type ImageInfo } from './image-types.ts';

/**
 * Recognises an image container by its first bytes. Returns null for anything else (GIF, BMP, HEIC,
 * text...), including inputs too short to tell.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 &&
      bytes[4] === 0x0d && bytes[5] === 0x0a && bytes[6] === 0x1a && bytes[7] === 0x0a) return 'png';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  return null;
}

/**
 * Reads dimensions (as stored, before orientation) and the EXIF orientation from the header, without
 * decoding pixels; cost is proportional to the header segments, not to the image.
 * Throws UnsupportedMediaError for bytes that are not JPEG, PNG or WebP (GIF, BMP, unknown), and for
 * JPEG variants we cannot decode (arithmetic coding, lossless, hierarchical, 12-bit);
 * UndecodableImageError when the header is truncated or corrupt.
 */
export function probeImage(bytes: Uint8Array): ImageInfo {
  const format = sniffImageFormat(bytes);
  switch (format) {
    case 'jpeg': return probeJpeg(bytes);
    case 'png': return probePng(bytes);
    case 'webp': return probeWebp(bytes);
    default: throw new UnsupportedMediaError(`not a supported image (${describeUnknown(bytes)}); ${ACCEPTED_TYPES}`);
  }
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < start + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function describeUnknown(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'empty body';
  if (ascii(bytes, 0, 4) === 'GIF8') return 'GIF';
  if (ascii(bytes, 0, 2) === 'BM') return 'BMP';
  if (ascii(bytes, 4, 4) === 'ftyp') return 'HEIF/AVIF';
  if ((bytes[0] === 0x49 && bytes[1] === 0x49) || (bytes[0] === 0x4d && bytes[1] === 0x4d)) return 'TIFF';
  return 'unrecognised leading bytes';
}

/** Human name of a JPEG SOF marker we refuse, or null when we decode it. */
export function unsupportedJpegProcess(marker: number): string | null {
  switch (marker) {
    case 0xc0: case 0xc1: case 0xc2: return null;
    case 0xc3: return 'lossless JPEG';
    case 0xc5: case 0xc6: case 0xc7: return 'hierarchical JPEG';
    case 0xc9: case 0xca: case 0xcb: case 0xcd: case 0xce: case 0xcf: return 'arithmetic-coded JPEG';
    default: return 'JPEG with an unknown frame type';
  }
}

function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function probeJpeg(bytes: Uint8Array): ImageInfo {
  let pos = 2;
  let orientation = 1;
  let info: ImageInfo | null = null;
  const n = bytes.length;
  while (pos < n) {
    if (bytes[pos] !== 0xff) throw new UndecodableImageError(`corrupt JPEG: expected a marker at byte ${pos}`);
    // Any number of 0xFF fill bytes may precede a marker.
    while (pos < n && bytes[pos] === 0xff) pos++;
    if (pos >= n) break;
    const marker = bytes[pos++];
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0xd9 || marker === 0xda) break;
    if (pos + 2 > n) break;
    const length = (bytes[pos] << 8) | bytes[pos + 1];
    if (length < 2) throw new UndecodableImageError(`corrupt JPEG: segment length ${length} at byte ${pos}`);
    const end = pos + length;
    if (end > n) break;
    if (marker === 0xe1 && orientation === 1) orientation = readExifOrientation(bytes, pos + 2, end);
    if (isSof(marker) && !info) {
      if (length < 8) throw new UndecodableImageError('corrupt JPEG: frame header too short');
      const refused = unsupportedJpegProcess(marker);
      if (refused) throw new UnsupportedMediaError(`${refused} is not supported; ${ACCEPTED_TYPES}`);
      const precision = bytes[pos + 2];
      if (precision !== 8) {
        throw new UnsupportedMediaError(`${precision}-bit JPEG is not supported; ${ACCEPTED_TYPES}`);
      }
      const height = (bytes[pos + 3] << 8) | bytes[pos + 4];
      const width = (bytes[pos + 5] << 8) | bytes[pos + 6];
      const components = bytes[pos + 7];
      if (width === 0 || height === 0) {
        throw new UndecodableImageError(`JPEG header gives a size of ${width}x${height}; both sides must be at least 1`);
      }
      if (components !== 1 && components !== 3 && components !== 4) {
        throw new UnsupportedMediaError(`JPEG with ${components} colour components is not supported (1, 3 or 4 are); ${ACCEPTED_TYPES}`);
      }
      info = { format: 'jpeg', width, height, orientation: 1, progressive: marker === 0xc2, components };
    }
    pos = end;
  }
  if (!info) throw new UndecodableImageError('truncated or corrupt JPEG: no frame header (SOF) before the image data');
  info.orientation = orientation;
  return info;
}

function probePng(bytes: Uint8Array): ImageInfo {
  // Signature (8), IHDR length (4) and type (4), then width, height, depth, colour type.
  if (bytes.length < 8 + 8 + 13 || ascii(bytes, 12, 4) !== 'IHDR') {
    throw new UndecodableImageError('truncated or corrupt PNG: no IHDR header');
  }
  const u32 = (p: number): number =>
    ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
  const width = u32(16);
  const height = u32(20);
  if (width === 0 || height === 0) {
    throw new UndecodableImageError(`PNG header gives a size of ${width}x${height}; both sides must be at least 1`);
  }
  const samples: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
  const components = samples[bytes[25]];
  if (components === undefined) throw new UndecodableImageError(`corrupt PNG: colour type ${bytes[25]}`);
  return { format: 'png', width, height, orientation: 1, components };
}

function probeWebp(bytes: Uint8Array): ImageInfo {
  const chunk = ascii(bytes, 12, 4);
  const p = 20;
  if (chunk === 'VP8 ' && bytes.length >= p + 10) {
    return {
      format: 'webp', orientation: 1,
      width: (bytes[p + 6] | (bytes[p + 7] << 8)) & 0x3fff,
      height: (bytes[p + 8] | (bytes[p + 9] << 8)) & 0x3fff,
    };
  }
  if (chunk === 'VP8L' && bytes.length >= p + 5) {
    const b = bytes;
    return {
      format: 'webp', orientation: 1,
      width: 1 + (b[p + 1] | ((b[p + 2] & 0x3f) << 8)),
      height: 1 + ((b[p + 2] >> 6) | (b[p + 3] << 2) | ((b[p + 4] & 0x0f) << 10)),
    };
  }
  if (chunk === 'VP8X' && bytes.length >= p + 10) {
    const b = bytes;
    return {
      format: 'webp', orientation: 1,
      width: 1 + (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16)),
      height: 1 + (b[p + 7] | (b[p + 8] << 8) | (b[p + 9] << 16)),
    };
  }
  throw new UndecodableImageError('truncated or corrupt WebP: no VP8, VP8L or VP8X header');
}
