import type { RgbImage } from './image-types.ts';

/**
 * Reads the EXIF orientation tag (0x0112) from the payload of a JPEG APP1 segment (the bytes after the
 * length field, starting with "Exif\0\0"). Both TIFF byte orders are handled.
 * Returns 1..8, or 1 when the segment is not EXIF, has no orientation, or is malformed: a broken EXIF
 * block must not make an otherwise good photo undecodable.
 */
export function readExifOrientation(bytes: Uint8Array, start: number, end: number): number {
  // "Exif\0\0"
  if (end - start < 14 || bytes[start] !== 0x45 || bytes[start + 1] !== 0x78 || bytes[start + 2] !== 0x69 ||
      bytes[start + 3] !== 0x66 || bytes[start + 4] !== 0 || bytes[start + 5] !== 0) {
    return 1;
  }
  const tiff = start + 6;
  let little: boolean;
  if (bytes[tiff] === 0x49 && bytes[tiff + 1] === 0x49) little = true;
  else if (bytes[tiff] === 0x4d && bytes[tiff + 1] === 0x4d) little = false;
  else return 1;
  const u16 = (p: number): number =>
    little ? bytes[p] | (bytes[p + 1] << 8) : (bytes[p] << 8) | bytes[p + 1];
  const u32 = (p: number): number =>
    little
      ? (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)) >>> 0
      : ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
  if (u16(tiff + 2) !== 42) return 1;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 1;
    if (u16(entry) !== 0x0112) continue;
    // SHORT (type 3), count 1: the value sits in the first two bytes of the value field.
    const value = u16(entry + 2) === 3 ? u16(entry + 8) : 1;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

/**
 * Applies an EXIF orientation (1..8) to decoded pixels so the result is upright: 2 mirror left-right,
 * 3 rotate 180, 4 mirror top-bottom, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90
 * anticlockwise. Orientations 5 to 8 swap width and height. Returns the input unchanged for 1 (or any
 * out-of-range value), else a new image of the same byte size.
 */
export function applyExifOrientation(image: RgbImage, orientation: number): RgbImage {
  if (orientation < 2 || orientation > 8) return image;
  const { width: w, height: h, data: src } = image;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(src.length);
  // For each output pixel (x', y') the source is (x0 + x'*dxx + y'*dxy, y0 + x'*dyx + y'*dyy).
  let x0 = 0, y0 = 0, dxx = 1, dxy = 0, dyx = 0, dyy = 1;
  switch (orientation) {
    case 2: x0 = w - 1; dxx = -1; break;
    case 3: x0 = w - 1; y0 = h - 1; dxx = -1; dyy = -1; break;
    case 4: y0 = h - 1; dyy = -1; break;
    case 5: dxx = 0; dxy = 1; dyx = 1; dyy = 0; break;
    case 6: y0 = h - 1; dxx = 0; dxy = 1; dyx = -1; dyy = 0; break;
    case 7: x0 = w - 1; y0 = h - 1; dxx = 0; dxy = -1; dyx = -1; dyy = 0; break;
    case 8: x0 = w - 1; dxx = 0; dxy = -1; dyx = 1; dyy = 0; break;
  }
  // Source step, in bytes, for one step right along an output row.
  const step = (dyx * w + dxx) * 3;
  let o = 0;
  for (let y = 0; y < oh; y++) {
    let s = ((y0 + y * dyy) * w + (x0 + y * dxy)) * 3;
    for (let x = 0; x < ow; x++, s += step, o += 3) {
      out[o] = src[s];
      out[o + 1] = src[s + 1];
      out[o + 2] = src[s + 2];
    }
  }
  return { data: out, width: ow, height: oh, channels: 3 };
}
