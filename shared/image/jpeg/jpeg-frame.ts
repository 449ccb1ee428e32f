import { TooLargeError, UndecodableImageError, UnsupportedMediaError } from '../../errors.ts';
import type { JpegLimits } from '../../config.ts';
import { ACCEPTED_TYPES } from '../image-types.ts';
import type { HuffmanTable } from './huffman.ts';
import type { IdctSize } from './idct.ts';
import { ZIGZAG, type ScanComponent } from './sequential-scan.ts';

/* The frame header (SOF) and the per-component state a decode keeps: sizes, planes, progressive coefficients. */

/**
 * A DCT-domain scale of M/8 as its numerator M, 1..8 (libjpeg's scale_num over 8): the output is
 * ceil(width * M / 8) x ceil(height * M / 8) and each luma block becomes M x M pixels.
 */
export type JpegScale = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

export interface Component extends ScanComponent {
  id: number;
  h: number;
  v: number;
  quantIndex: number;
  /** Blocks that carry image data, as coded in a non-interleaved scan. */
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Blocks including MCU padding, as coded in an interleaved scan. */
  blocksPerLineAlloc: number;
  blocksPerColumnAlloc: number;
  /** Pixels each block becomes (M, raised for subsampled components to save upsampling). */
  idctSize: IdctSize;
  plane: Uint8ClampedArray;
  planeStride: number;
  /** Integer upsampling factors that remain after the IDCT. */
  upH: number;
  upV: number;
  /**
   * Progressive only: every block's coefficients, natural order, `coefStride` per block: 64, or 1 (the DC
   * alone) when the IDCT is 1x1 and no AC coefficient is ever read.
   */
  coefs: Int16Array | null;
  coefStride: number;
  /** The last zigzag index an IDCT of `idctSize` reads (its top-left size x size coefficients): 0 at 1x1, 63 at 8x8. */
  lastNeededZigzag: number;
  dcPred: number;
  /** Sequential only: the prepared dequantiser for the current scan. */
  scanQuant: Float32Array | null;
  dcTable: HuffmanTable | null;
  acTable: HuffmanTable | null;
  seen: boolean;
}

export interface Frame {
  width: number;
  height: number;
  progressive: boolean;
  hMax: number;
  vMax: number;
  mcusPerLine: number;
  mcusPerColumn: number;
  components: Component[];
}

export function readFrame(
  bytes: Uint8Array, seg: number, end: number, progressive: boolean, scale: JpegScale, compactChroma: boolean,
  limits: JpegLimits, reuse?: Uint8ClampedArray[],
): Frame {
  const precision = bytes[seg];
  if (precision !== 8) throw new UnsupportedMediaError(`${precision}-bit JPEG is not supported; ${ACCEPTED_TYPES}`);
  const height = (bytes[seg + 1] << 8) | bytes[seg + 2];
  const width = (bytes[seg + 3] << 8) | bytes[seg + 4];
  const count = bytes[seg + 5];
  if (width === 0 || height === 0) throw new UndecodableImageError(`JPEG header gives a size of ${width}x${height}; both sides must be at least 1`);
  if (count !== 1 && count !== 3 && count !== 4) {
    throw new UnsupportedMediaError(`JPEG with ${count} colour components is not supported (1, 3 or 4 are); ${ACCEPTED_TYPES}`);
  }
  if (seg + 6 + count * 3 > end) throw new UndecodableImageError('corrupt JPEG: frame header too short');
  const raw: { id: number; h: number; v: number; q: number }[] = [];
  for (let i = 0; i < count; i++) {
    const p = seg + 6 + i * 3;
    const h = bytes[p + 1] >> 4, v = bytes[p + 1] & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw new UndecodableImageError(`corrupt JPEG: sampling factors ${h}x${v}`);
    raw.push({ id: bytes[p], h, v, q: bytes[p + 2] & 3 });
  }
  const hMax = Math.max(...raw.map((c) => c.h));
  const vMax = Math.max(...raw.map((c) => c.v));
  const mcusPerLine = Math.ceil(width / (8 * hMax));
  const mcusPerColumn = Math.ceil(height / (8 * vMax));
  const out = scale;
  let allocated = 0;
  const components = raw.map((r, index): Component => {
    if (hMax % r.h !== 0 || vMax % r.v !== 0) {
      throw new UnsupportedMediaError(`JPEG sampling factors ${raw.map((c) => `${c.h}x${c.v}`).join(',')} are not supported (each must divide the largest); ${ACCEPTED_TYPES}`);
    }
    const rh = hMax / r.h, rv = vMax / r.v;
    const idctSize = compactChroma ? out : chromaIdctSize(out, hMax, vMax, r.h, r.v);
    const blocksPerLineAlloc = mcusPerLine * r.h;
    const blocksPerColumnAlloc = mcusPerColumn * r.v;
    const planeStride = blocksPerLineAlloc * idctSize;
    // A 1x1 IDCT reads the DC alone: the AC coefficients are never stored (their scans are skipped).
    const coefStride = idctSize === 1 ? 1 : 64;
    const coefficientBytes = progressive ? blocksPerLineAlloc * blocksPerColumnAlloc * coefStride * 2 : 0;
    allocated += coefficientBytes;
    if (allocated > limits.maxCoefficientBytes) {
      throw new TooLargeError(
        `progressive JPEG of ${width}x${height} needs ${allocated} bytes of coefficients at ${scale}/8 scale; ` +
        `the decode budget is ${limits.maxCoefficientBytes} bytes (send a baseline JPEG, or a smaller image)`,
        'decode_budget_exceeded',
      );
    }
    const progressiveCoefs = progressive ? new Int16Array(coefficientBytes / 2) : null;
    return {
      id: r.id, h: r.h, v: r.v, quantIndex: r.q,
      blocksPerLine: Math.ceil(Math.ceil((width * r.h) / hMax) / 8),
      blocksPerColumn: Math.ceil(Math.ceil((height * r.v) / vMax) / 8),
      blocksPerLineAlloc, blocksPerColumnAlloc, idctSize,
      plane: planeBuffer(planeStride * blocksPerColumnAlloc * idctSize, reuse, index),
      planeStride,
      upH: (out * rh) / idctSize,
      upV: (out * rv) / idctSize,
      coefs: progressiveCoefs, coefStride, lastNeededZigzag: lastZigzagWithin(idctSize),
      dcPred: 0, scanQuant: null, dcTable: null, acTable: null, seen: false,
    };
  });
  return { width, height, progressive, hMax, vMax, mcusPerLine, mcusPerColumn, components };
}

/**
 * A subsampled component can use a larger IDCT than the luma one and need less upsampling afterwards:
 * libjpeg-turbo's rule (jdmaster.c), doubling M while it stays below 8 and the sampling ratios in both
 * directions are still divisible, so M = 3 gives 4:2:0 chroma 6x6 blocks and M = 5 gives 10x10.
 */
function chromaIdctSize(m: number, hMax: number, vMax: number, h: number, v: number): IdctSize {
  let size = m;
  while (size < 8 && (hMax * m) % (h * size * 2) === 0 && (vMax * m) % (v * size * 2) === 0) size *= 2;
  return size;
}

/** Planes up to this size are kept for reuse; larger ones are allocated each time, so nothing big stays pinned. */
const REUSED_PLANE_BYTES = 4 << 20;

function planeBuffer(size: number, reuse: Uint8ClampedArray[] | undefined, index: number): Uint8ClampedArray {
  if (!reuse || size > REUSED_PLANE_BYTES) return new Uint8ClampedArray(size);
  if (!reuse[index] || reuse[index].length < size) reuse[index] = new Uint8ClampedArray(size);
  // Every sample the decoder later reads is written first (each block is transformed before use).
  return reuse[index].subarray(0, size);
}

/** The last zigzag position whose natural (row, column) both fall below `size`. */
function lastZigzagWithin(size: number): number {
  let last = 0;
  for (let k = 0; k < 64; k++) if ((ZIGZAG[k] >> 3) < size && (ZIGZAG[k] & 7) < size) last = k;
  return last;
}
