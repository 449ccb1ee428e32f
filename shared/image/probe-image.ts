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
  const frame = readWebpFrameSize(bytes);
  return { format: 'webp', orientation: 1, width: frame.width, height: frame.height };
}

function u24le(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16);
}

/** Size of a VP8 (lossy) or VP8L (lossless) bitstream's frame, from its first bytes. */
function webpBitstreamSize(bytes: Uint8Array, type: string, p: number, end: number): { width: number; height: number } {
  if (type === 'VP8 ') {
    if (end - p < 10 || bytes[p + 3] !== 0x9d || bytes[p + 4] !== 0x01 || bytes[p + 5] !== 0x2a) {
      throw new UndecodableImageError('truncated or corrupt WebP: VP8 frame without its start code');
    }
    return { width: (bytes[p + 6] | (bytes[p + 7] << 8)) & 0x3fff, height: (bytes[p + 8] | (bytes[p + 9] << 8)) & 0x3fff };
  }
  if (end - p < 5 || bytes[p] !== 0x2f) throw new UndecodableImageError('truncated or corrupt WebP: VP8L frame without its signature');
  return {
    width: 1 + (bytes[p + 1] | ((bytes[p + 2] & 0x3f) << 8)),
    height: 1 + ((bytes[p + 2] >> 6) | (bytes[p + 3] << 2) | ((bytes[p + 4] & 0x0f) << 10)),
  };
}

/**
 * The size libwebp will decode to, read from the frame itself (VP8 or VP8L), also inside a VP8X container,
 * whose canvas must agree with the frame (for an animation: every ANMF frame must fit the canvas, and the
 * canvas is what is allocated). Cost: a walk over the chunk headers.
 * @throws UndecodableImageError for a missing frame, a zero side or a canvas that disagrees with its frame
 */
export function readWebpFrameSize(bytes: Uint8Array): { width: number; height: number } {
  let canvas: { width: number; height: number } | null = null;
  let animated = false;
  let size: { width: number; height: number } | null = null;
  for (let pos = 12; pos + 8 <= bytes.length && !size;) {
    const type = ascii(bytes, pos, 4);
    const length = (bytes[pos + 4] | (bytes[pos + 5] << 8) | (bytes[pos + 6] << 16) | (bytes[pos + 7] << 24)) >>> 0;
    const p = pos + 8;
    const end = Math.min(bytes.length, p + length);
    if (type === 'VP8 ' || type === 'VP8L') size = webpBitstreamSize(bytes, type, p, end);
    else if (type === 'VP8X' && pos === 12 && end - p >= 10) {
      canvas = { width: 1 + u24le(bytes, p + 4), height: 1 + u24le(bytes, p + 7) };
      animated = (bytes[p] & 0x02) !== 0;
    } else if (type === 'ANMF' && canvas && end - p >= 16) {
      const x = 2 * u24le(bytes, p), y = 2 * u24le(bytes, p + 3);
      const w = 1 + u24le(bytes, p + 6), h = 1 + u24le(bytes, p + 9);
      if (x + w > canvas.width || y + h > canvas.height) {
        throw new UndecodableImageError(`corrupt WebP: an animation frame (${w}x${h} at ${x},${y}) lies outside its ${canvas.width}x${canvas.height} canvas`);
      }
      size = canvas;
    }
    pos = p + length + (length & 1);
  }
  if (!size) throw new UndecodableImageError('truncated or corrupt WebP: no VP8, VP8L or animation frame');
  if (size.width === 0 || size.height === 0) throw new UndecodableImageError(`WebP frame gives a size of ${size.width}x${size.height}; both sides must be at least 1`);
  if (canvas && !animated && (canvas.width !== size.width || canvas.height !== size.height)) {
    throw new UndecodableImageError(`corrupt WebP: the VP8X canvas says ${canvas.width}x${canvas.height} but its frame is ${size.width}x${size.height}`);
  }
  return size;
}
