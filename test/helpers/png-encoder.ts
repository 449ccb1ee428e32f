import { deflateSync } from 'node:zlib';
import { concat, ihdr, PNG_SIGNATURE, pngChunk } from './png-chunk-writer.ts';

export { concat, ihdr, PNG_SIGNATURE, pngChunk };

/** A PNG to write: raw samples at the image's depth, row-major, `channels` per pixel. */
export interface PngSpec {
  width: number;
  height: number;
  colourType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  interlaced?: boolean;
  /** width*height*channels samples (palette indices for type 3) */
  samples: ArrayLike<number>;
  /** RGB triples */
  palette?: number[][];
  /** raw tRNS bytes */
  trns?: Uint8Array;
  /** extra chunks written after IHDR (type, data) */
  before?: [string, Uint8Array][];
  /** IDAT split into chunks of this many bytes (a zero-length IDAT is added too) */
  idatSize?: number;
  /** the filter type used on every row (0-4) */
  filter?: number;
  /** replaces the zlib stream of the image data */
  idat?: Uint8Array;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/** The filtered scanlines (every pass for Adam7) of a spec, before compression. */
export function pngScanlines(spec: PngSpec): Uint8Array {
  const ch = CHANNELS[spec.colourType];
  const bits = ch * spec.depth;
  const bpp = Math.max(1, bits >> 3);
  const passes = spec.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const rows: Uint8Array[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const pw = spec.width > x0 ? Math.ceil((spec.width - x0) / dx) : 0;
    const ph = spec.height > y0 ? Math.ceil((spec.height - y0) / dy) : 0;
    if (!pw || !ph) continue;
    let prev = new Uint8Array(Math.ceil((pw * bits) / 8));
    for (let j = 0; j < ph; j++) {
      const raw = new Uint8Array(prev.length);
      for (let i = 0; i < pw; i++) {
        const px = ((y0 + j * dy) * spec.width + x0 + i * dx) * ch;
        for (let c = 0; c < ch; c++) {
          const v = spec.samples[px + c];
          const k = i * ch + c;
          if (spec.depth === 16) { raw[k * 2] = v >> 8; raw[k * 2 + 1] = v & 0xff; }
          else if (spec.depth === 8) raw[k] = v;
          else raw[(k * spec.depth) >> 3] |= v << (8 - spec.depth - ((k * spec.depth) & 7));
        }
      }
      rows.push(filterRow(raw, prev, bpp, spec.filter ?? (j % 5)));
      prev = raw;
    }
  }
  return concat(rows);
}

function filterRow(raw: Uint8Array, prev: Uint8Array, bpp: number, type: number): Uint8Array {
  const out = new Uint8Array(raw.length + 1);
  out[0] = type;
  for (let i = 0; i < raw.length; i++) {
    const a = i >= bpp ? raw[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
    const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
    const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][type];
    out[i + 1] = (raw[i] - pred) & 0xff;
  }
  return out;
}

/** Encodes a spec as a complete PNG file (filters chosen per row, so every filter type is exercised). */
export function encodeTestPng(spec: PngSpec): Uint8Array {
  const parts = [PNG_SIGNATURE, pngChunk('IHDR', ihdr(spec.width, spec.height, spec.depth, spec.colourType, spec.interlaced))];
  for (const [type, data] of spec.before ?? []) parts.push(pngChunk(type, data));
  if (spec.palette) parts.push(pngChunk('PLTE', Uint8Array.from(spec.palette.flat())));
  if (spec.trns) parts.push(pngChunk('tRNS', spec.trns));
  const z = spec.idat ?? new Uint8Array(deflateSync(pngScanlines(spec)));
  const size = spec.idatSize ?? z.length;
  if (spec.idatSize) parts.push(pngChunk('IDAT', new Uint8Array(0)));
  for (let p = 0; p < z.length; p += size) parts.push(pngChunk('IDAT', z.subarray(p, p + size)));
  parts.push(pngChunk('IEND', new Uint8Array(0)));
  return concat(parts);
}
