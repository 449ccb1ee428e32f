import type { PngHeader } from './png-chunks.ts';

/** One Adam7 pass (or the whole image when not interlaced): origin, step and size in pixels. */
export interface PngPass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
  /** bytes per row, filter byte included */
  rowBytes: number;
}

const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/** The passes that carry pixels (empty Adam7 passes of small images carry no bytes at all). */
export function pngPasses(header: PngHeader): PngPass[] {
  const bits = header.depth * header.channels;
  const layout = header.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const passes: PngPass[] = [];
  for (const [x0, y0, dx, dy] of layout) {
    const width = header.width > x0 ? Math.ceil((header.width - x0) / dx) : 0;
    const height = header.height > y0 ? Math.ceil((header.height - y0) / dy) : 0;
    if (width > 0 && height > 0) passes.push({ x0, y0, dx, dy, width, height, rowBytes: 1 + Math.ceil((width * bits) / 8) });
  }
  return passes;
}

/**
 * Picks the largest integer box factor f whose output, ceil(side / f), keeps the shorter side at least
 * `minSide` (as chooseJpegScale does for JPEG's DCT scales); 1 without `minSide` or for small images.
 */
export function choosePngFactor(width: number, height: number, minSide: number | undefined): number {
  if (!minSide || minSide <= 0) return 1;
  const shorter = Math.min(width, height);
  let f = Math.max(1, Math.floor(shorter / minSide));
  while (f > 1 && Math.ceil(shorter / f) < minSide) f--;
  return f;
}

/**
 * The reduced image rows are averaged into while they are decoded: pixel (x, y) adds to the cell
 * (floor(x / f), floor(y / f)), so Adam7 passes land in the same cells as a progressive image's rows.
 * Memory: the output plus, when f > 1, a 32-bit sum per output sample.
 */
export class BoxTarget {
  readonly width: number;
  readonly height: number;
  private readonly sums: Uint32Array | null;
  private readonly out: Uint8Array;
  /** bytes held: the output and, when reducing, its sums */
  readonly allocatedBytes: number;

  constructor(readonly sourceWidth: number, readonly sourceHeight: number, readonly factor: number) {
    this.width = Math.ceil(sourceWidth / factor);
    this.height = Math.ceil(sourceHeight / factor);
    this.out = new Uint8Array(this.width * this.height * 3);
    this.sums = factor > 1 ? new Uint32Array(this.width * this.height * 3) : null;
    this.allocatedBytes = this.out.length + (this.sums?.byteLength ?? 0);
  }

  /** Adds one pass row of RGB pixels (`rgb`, pass.width pixels) at pass row `j`. */
  addRow(pass: PngPass, j: number, rgb: Uint8Array): void {
    const y = pass.y0 + j * pass.dy;
    const f = this.factor;
    const rowBase = ((y / f) | 0) * this.width;
    const target = this.sums ?? this.out;
    if (f === 1 && pass.dx === 1) {
      this.out.set(rgb.subarray(0, pass.width * 3), rowBase * 3);
      return;
    }
    if (pass.dx === 1) {
      // Non-interlaced rows: walk the cells instead of dividing per pixel.
      for (let x = 0, cx = 0, s = 0; x < pass.width; cx++) {
        const o = (rowBase + cx) * 3;
        let r = 0, g = 0, b = 0;
        const stop = Math.min(pass.width, x + f);
        for (; x < stop; x++, s += 3) { r += rgb[s]; g += rgb[s + 1]; b += rgb[s + 2]; }
        target[o] += r; target[o + 1] += g; target[o + 2] += b;
      }
      return;
    }
    for (let x = 0, X = pass.x0, s = 0; x < pass.width; x++, X += pass.dx, s += 3) {
      const o = (rowBase + ((X / f) | 0)) * 3;
      target[o] += rgb[s];
      target[o + 1] += rgb[s + 1];
      target[o + 2] += rgb[s + 2];
    }
  }

  /** The averaged image, rounding each cell's mean (edge cells average the pixels they cover). */
  finish(): Uint8Array {
    const sums = this.sums;
    if (!sums) return this.out;
    const f = this.factor;
    for (let cy = 0; cy < this.height; cy++) {
      const h = Math.min(f, this.sourceHeight - cy * f);
      for (let cx = 0; cx < this.width; cx++) {
        const n = h * Math.min(f, this.sourceWidth - cx * f);
        const o = (cy * this.width + cx) * 3;
        this.out[o] = Math.round(sums[o] / n);
        this.out[o + 1] = Math.round(sums[o + 1] / n);
        this.out[o + 2] = Math.round(sums[o + 2] / n);
      }
    }
    return this.out;
  }
}
