import { UndecodableImageError } from '../../errors.ts';
import { overWhite } from '../alpha.ts';
import type { PngHeader } from './png-chunks.ts';

/** Palette and transparency, as read from PLTE and tRNS. */
export interface PngColours {
  /** palette as RGBA quadruples (alpha 255 unless tRNS says otherwise); null without PLTE */
  palette: Uint8Array | null;
  /** number of palette entries */
  paletteSize: number;
  /** colour key of grey (1 value) or RGB (3 values) images at the image's depth; null when none */
  key: number[] | null;
}

/**
 * Reverses the row filter (PNG filter method 0) in place. `row` holds the filter type byte then the
 * filtered bytes; `prev` the previous unfiltered row of the same pass (all zero for its first row).
 * @throws UndecodableImageError for a filter type other than 0-4
 */
export function unfilterRow(row: Uint8Array, prev: Uint8Array, bpp: number): void {
  const type = row[0];
  const n = row.length;
  switch (type) {
    case 0: return;
    case 1:
      for (let i = 1 + bpp; i < n; i++) row[i] = (row[i] + row[i - bpp]) & 0xff;
      return;
    case 2:
      for (let i = 1; i < n; i++) row[i] = (row[i] + prev[i]) & 0xff;
      return;
    case 3:
      for (let i = 1; i <= bpp && i < n; i++) row[i] = (row[i] + (prev[i] >> 1)) & 0xff;
      for (let i = bpp + 1; i < n; i++) row[i] = (row[i] + ((row[i - bpp] + prev[i]) >> 1)) & 0xff;
      return;
    case 4:
      // The first pixel has no left neighbour: Paeth reduces to "up".
      for (let i = 1; i <= bpp && i < n; i++) row[i] = (row[i] + prev[i]) & 0xff;
      for (let i = bpp + 1; i < n; i++) {
        const a = row[i - bpp], b = prev[i], c = prev[i - bpp];
        const pa = b > c ? b - c : c - b;
        const pb = a > c ? a - c : c - a;
        const pc = a + b - c - c > 0 ? a + b - c - c : c + c - a - b;
        row[i] = (row[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
      return;
    default:
      throw new UndecodableImageError(`corrupt PNG: row filter type ${type} (0 to 4 exist)`);
  }
}

/**
 * Converts one unfiltered row (after its filter byte) of `width` pixels to 8-bit RGB in `out`, alpha
 * (channel, palette tRNS or colour key) composited over white; 16-bit and sub-byte samples scaled to 8 bits
 * with rounding.
 * @throws UndecodableImageError for a palette index beyond the palette
 */
export function rowToRgb(row: Uint8Array, width: number, header: PngHeader, colours: PngColours, out: Uint8Array): void {
  const { depth, colourType } = header;
  if (colourType === 3) return paletteRow(row, width, depth, colours, out);
  if (depth < 8) return lowGreyRow(row, width, depth, colours.key, out);
  if (depth === 8 && colourType === 2 && !colours.key) {
    out.set(row.subarray(1, 1 + width * 3));
    return;
  }
  if (depth === 8 && colourType === 6) return rgbaRow(row, width, out);
  const wide = depth === 16;
  const step = wide ? 2 : 1;
  const channels = header.channels;
  const key = colours.key;
  for (let x = 0, s = 1, o = 0; x < width; x++, o += 3) {
    let r: number, g: number, b: number, a: number;
    if (wide) {
      r = (row[s] << 8) | row[s + 1];
      g = channels >= 3 ? (row[s + 2] << 8) | row[s + 3] : r;
      b = channels >= 3 ? (row[s + 4] << 8) | row[s + 5] : r;
    } else {
      r = row[s];
      g = channels >= 3 ? row[s + 1] : r;
      b = channels >= 3 ? row[s + 2] : r;
    }
    if (channels === 2 || channels === 4) {
      const as = s + (channels - 1) * step;
      a = wide ? (row[as] << 8) | row[as + 1] : row[as];
    } else {
      a = wide ? 65535 : 255;
      if (key && r === key[0] && (channels === 1 || (g === key[1] && b === key[2]))) a = 0;
    }
    s += channels * step;
    if (wide) {
      r = Math.round((r * 255) / 65535); g = Math.round((g * 255) / 65535);
      b = Math.round((b * 255) / 65535); a = Math.round((a * 255) / 65535);
    }
    out[o] = overWhite(r, a);
    out[o + 1] = overWhite(g, a);
    out[o + 2] = overWhite(b, a);
  }
}

function paletteRow(row: Uint8Array, width: number, depth: number, colours: PngColours, out: Uint8Array): void {
  const palette = colours.palette as Uint8Array;
  const mask = (1 << depth) - 1;
  for (let x = 0, o = 0; x < width; x++, o += 3) {
    const bit = x * depth;
    const index = depth === 8 ? row[1 + x] : (row[1 + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
    if (index >= colours.paletteSize) {
      throw new UndecodableImageError(`corrupt PNG: palette index ${index} but the palette has ${colours.paletteSize} entries`);
    }
    const e = index * 4;
    const a = palette[e + 3];
    out[o] = overWhite(palette[e], a);
    out[o + 1] = overWhite(palette[e + 1], a);
    out[o + 2] = overWhite(palette[e + 2], a);
  }
}

function lowGreyRow(row: Uint8Array, width: number, depth: number, key: number[] | null, out: Uint8Array): void {
  const max = (1 << depth) - 1;
  for (let x = 0, o = 0; x < width; x++, o += 3) {
    const bit = x * depth;
    const v = (row[1 + (bit >> 3)] >> (8 - depth - (bit & 7))) & max;
    const grey = key && v === key[0] ? 255 : Math.round((v * 255) / max);
    out[o] = out[o + 1] = out[o + 2] = grey;
  }
}

function rgbaRow(row: Uint8Array, width: number, out: Uint8Array): void {
  for (let x = 0, s = 1, o = 0; x < width; x++, s += 4, o += 3) {
    const a = row[s + 3];
    if (a === 255) {
      out[o] = row[s]; out[o + 1] = row[s + 1]; out[o + 2] = row[s + 2];
    } else {
      out[o] = overWhite(row[s], a); out[o + 1] = overWhite(row[s + 1], a); out[o + 2] = overWhite(row[s + 2], a);
    }
  }
}
