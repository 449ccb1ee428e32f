/** Writes 8-bit RGB PNGs (the admin page's thumbnails): one IDAT, every row with the Sub filter, zlib by fflate. */
import { zlibSync } from 'fflate';
import type { RgbImage } from '../image-types.ts';
import { crc32 } from '../../hash.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Each row as filter byte 1 (Sub) then the differences to the pixel on the left, which photos compress better. */
function subFilteredRows(image: RgbImage): Uint8Array {
  const stride = image.width * 3;
  const out = new Uint8Array(image.height * (stride + 1));
  for (let y = 0; y < image.height; y++) {
    const row = y * stride;
    const at = y * (stride + 1);
    out[at] = 1;
    for (let x = 0; x < stride; x++) out[at + 1 + x] = (image.data[row + x] - (x >= 3 ? image.data[row + x - 3] : 0)) & 0xff;
  }
  return out;
}

/**
 * Encodes an RGB image as a PNG (colour type 2, depth 8, not interlaced).
 * @returns the PNG file's bytes; `decodePng` reads them back to the same pixels
 */
export function encodePng(image: RgbImage): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, image.width);
  view.setUint32(4, image.height);
  header[8] = 8;
  header[9] = 2;
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', header), chunk('IDAT', zlibSync(subFilteredRows(image), { level: 6 })), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
