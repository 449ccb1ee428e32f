import type { RgbImage } from './image-types.ts';
import { flipHorizontal } from './augment.ts';
import type { JpegPlanes } from './jpeg/decode-jpeg.ts';
import type { ImageKernels } from './image-kernels.ts';

/** Per output index on one axis: the first source index, how many taps, and their weights. */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  /** `maxTaps` weights per output index. */
  weights: Float32Array;
  maxTaps: number;
}

/**
 * Weights mapping `size` source pixels to output positions `offset .. offset+length-1` of a resized axis
 * of `resized` pixels: area average when shrinking (every source pixel contributes in proportion to the
 * overlap, which is what antialiasing needs), bilinear between pixel centres when enlarging.
 */
function axisWeights(size: number, resized: number, offset: number, length: number): AxisWeights {
  const f = resized / size;
  const maxTaps = f < 1 ? Math.ceil(1 / f) + 2 : 2;
  const start = new Int32Array(length);
  const count = new Int32Array(length);
  const weights = new Float32Array(length * maxTaps);
  for (let i = 0; i < length; i++) {
    const r = i + offset;
    if (f < 1) {
      const a = r / f, b = Math.min(size, (r + 1) / f);
      const first = Math.floor(a), last = Math.min(size, Math.ceil(b));
      start[i] = first;
      count[i] = last - first;
      for (let j = first; j < last; j++) {
        weights[i * maxTaps + j - first] = (Math.min(j + 1, b) - Math.max(j, a)) * f;
      }
    } else {
      const s = Math.min(size - 1, Math.max(0, (r + 0.5) / f - 0.5));
      const first = Math.min(size - 1, Math.floor(s));
      const frac = s - first;
      start[i] = first;
      count[i] = first + 1 < size ? 2 : 1;
      weights[i * maxTaps] = count[i] === 2 ? 1 - frac : 1;
      weights[i * maxTaps + 1] = count[i] === 2 ? frac : 0;
    }
  }
  return { start, count, weights, maxTaps };
}

/**
 * Resize the shorter side to the target (antialiased area-average when shrinking, bilinear when enlarging), centre-crop to height x width, map each pixel p to (p - pixelZeroPoint) * pixelScale. Returns HWC float32 of length height*width*3.
 *
 * For a non-square target the image is scaled just enough to cover it (the side that is shorter relative to
 * the target matches it exactly), then the excess of the other side is cropped equally from both ends.
 * Only the pixels inside the crop are computed. Pixel values are 0..255 bytes before normalisation.
 */
export function toModelInput(
  image: RgbImage,
  target: { height: number; width: number; pixelScale: number; pixelZeroPoint: number },
): Float32Array {
  const { width: w, height: h, data } = image;
  const { width: tw, height: th, pixelScale, pixelZeroPoint } = target;
  const s = Math.max(th / h, tw / w);
  const rw = Math.max(tw, Math.round(w * s));
  const rh = Math.max(th, Math.round(h * s));
  const wx = axisWeights(w, rw, Math.floor((rw - tw) / 2), tw);
  const wy = axisWeights(h, rh, Math.floor((rh - th) / 2), th);
  const x0 = wx.start[0];
  const x1 = wx.start[tw - 1] + wx.count[tw - 1];
  const row = new Float32Array((x1 - x0) * 3);
  const out = new Float32Array(th * tw * 3);
  let o = 0;
  for (let oy = 0; oy < th; oy++) {
    row.fill(0);
    // Vertical pass over the needed columns only, then horizontal pass from the accumulated row.
    for (let k = 0; k < wy.count[oy]; k++) {
      const weight = wy.weights[oy * wy.maxTaps + k];
      let si = ((wy.start[oy] + k) * w + x0) * 3;
      const end = row.length;
      for (let j = 0; j < end; j++, si++) row[j] += weight * data[si];
    }
    for (let ox = 0; ox < tw; ox++, o += 3) {
      let r = 0, g = 0, b = 0;
      let j = (wx.start[ox] - x0) * 3;
      const base = ox * wx.maxTaps;
      for (let k = 0; k < wx.count[ox]; k++, j += 3) {
        const weight = wx.weights[base + k];
        r += weight * row[j];
        g += weight * row[j + 1];
        b += weight * row[j + 2];
      }
      out[o] = (r - pixelZeroPoint) * pixelScale;
      out[o + 1] = (g - pixelZeroPoint) * pixelScale;
      out[o + 2] = (b - pixelZeroPoint) * pixelScale;
    }
  }
  return out;
}

/** A decoded image on its way to the model (decodeForModel's result): RGB pixels, or a JPEG's planes still to be resized and converted. */
export type ModelImage = { kind: 'rgb'; image: RgbImage } | { kind: 'planar'; source: PlanarSource };

/** Where the pixels come from for {@link planesToModelInput}: a JPEG's planes and how to turn them upright. */
export interface PlanarSource {
  jpeg: JpegPlanes;
  /** EXIF orientation 1..8 of the stored image. */
  orientation: number;
  /** Mirror left-right after orienting (the flipped training view). */
  mirror?: boolean;
  /** The image runtime's wasm kernels (decodeForModel passes them on); the JavaScript path when absent. */
  kernels?: ImageKernels | null;
}

/**
 * For EXIF orientations 1..8: `swap` when the upright image is the stored one transposed (its x axis runs
 * along the stored y axis), `revX` / `revY` when the upright x / y axis runs against the stored axis it comes from.
 */
const ORIENT: Record<number, { swap: boolean; revX: boolean; revY: boolean }> = {
  1: { swap: false, revX: false, revY: false },
  2: { swap: false, revX: true, revY: false },
  3: { swap: false, revX: true, revY: true },
  4: { swap: false, revX: false, revY: true },
  5: { swap: true, revX: false, revY: false },
  6: { swap: true, revX: true, revY: false },
  7: { swap: true, revX: true, revY: true },
  8: { swap: true, revX: false, revY: true },
};

/**
 * The area-average boxes of one upright axis, in stored pixel coordinates: output i averages
 * [lo[i], hi[i]). `reversed` when the upright axis runs against the stored one.
 */
function areaBoxes(size: number, resized: number, offset: number, length: number, reversed: boolean): { lo: Float64Array; hi: Float64Array; f: number } {
  const f = resized / size;
  const lo = new Float64Array(length);
  const hi = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const r = i + offset;
    const a = r / f, b = Math.min(size, (r + 1) / f);
    lo[i] = reversed ? size - b : a;
    hi[i] = reversed ? size - a : b;
  }
  return { lo, hi, f };
}

/**
 * Weights over the samples of a plane in which each sample covers `up` pixels: averaging those replicated
 * pixels over a box is the same as weighting each sample by its overlap with the box in plane coordinates,
 * so the plane is never upsampled.
 */
function planeWeights(boxes: { lo: Float64Array; hi: Float64Array; f: number }, up: number, samples: number): AxisWeights {
  const { lo, hi, f } = boxes;
  const length = lo.length;
  const start = new Int32Array(length);
  const count = new Int32Array(length);
  let maxTaps = 1;
  for (let i = 0; i < length; i++) {
    const first = Math.floor(lo[i] / up), last = Math.min(samples, Math.ceil(hi[i] / up));
    start[i] = first;
    count[i] = last - first;
    maxTaps = Math.max(maxTaps, last - first);
  }
  const weights = new Float32Array(length * maxTaps);
  for (let i = 0; i < length; i++) {
    const a = lo[i] / up, b = hi[i] / up;
    for (let j = start[i]; j < start[i] + count[i]; j++) weights[i * maxTaps + j - start[i]] = (Math.min(j + 1, b) - Math.max(j, a)) * f * up;
  }
  return { start, count, weights, maxTaps };
}

/** One plane being resized a row at a time: its samples, its two axes' weights and a scratch row. */
interface PlaneResize {
  data: Uint8ClampedArray;
  stride: number;
  wx: AxisWeights;
  wy: AxisWeights;
  /** Per output column, its first tap relative to `x0`. */
  starts: Int32Array;
  x0: number;
  span: number;
  /** Scratch for the JavaScript path (the kernel has its own). */
  row: Float64Array;
}

function planeResize(data: Uint8ClampedArray, stride: number, wx: AxisWeights, wy: AxisWeights): PlaneResize {
  const nA = wx.start.length;
  let x0 = Infinity, x1 = 0;
  for (let a = 0; a < nA; a++) {
    x0 = Math.min(x0, wx.start[a]);
    x1 = Math.max(x1, wx.start[a] + wx.count[a]);
  }
  const starts = new Int32Array(nA);
  for (let a = 0; a < nA; a++) starts[a] = wx.start[a] - x0;
  // Zero weights pad every column to `maxTaps` taps; the row has that many zeros past its end for them.
  return { data, stride, wx, wy, starts, x0, span: x1 - x0, row: new Float64Array(x1 - x0 + wx.maxTaps) };
}

/**
 * Output row `b` of a separable resize of one 8-bit plane into `dst` (one value per output column):
 * the needed source rows by `wy` over the needed columns only, then the columns by `wx`. The taps are
 * unrolled for the common counts (an area average shrinking by less than 2 covers 2 or 3 source samples),
 * each count in a function of its own so that each stays monomorphic and is optimised early rather than
 * deoptimised by the branches a first call did not take.
 */
function resizeRow(p: PlaneResize, b: number, dst: Float64Array): void {
  const { data, stride, wy, row, span } = p;
  const n = wy.count[b], wb = b * wy.maxTaps;
  const s0 = wy.start[b] * stride + p.x0;
  if (n === 2) rows2(data, s0, s0 + stride, wy.weights[wb], wy.weights[wb + 1], row, span);
  else if (n === 3) rows3(data, s0, stride, wy.weights[wb], wy.weights[wb + 1], wy.weights[wb + 2], row, span);
  else rowsN(data, s0, stride, wy.weights, wb, n, row, span);
  const taps = p.wx.maxTaps;
  if (taps === 2) columns2(row, p.starts, p.wx.weights, dst);
  else if (taps === 3) columns3(row, p.starts, p.wx.weights, dst);
  else columnsN(row, p.starts, p.wx.weights, taps, dst);
}

function rows2(data: Uint8ClampedArray, s0: number, s1: number, w0: number, w1: number, row: Float64Array, span: number): void {
  for (let j = 0; j < span; j++) row[j] = w0 * data[s0 + j] + w1 * data[s1 + j];
}

function rows3(data: Uint8ClampedArray, s0: number, stride: number, w0: number, w1: number, w2: number, row: Float64Array, span: number): void {
  const s1 = s0 + stride, s2 = s1 + stride;
  for (let j = 0; j < span; j++) row[j] = w0 * data[s0 + j] + w1 * data[s1 + j] + w2 * data[s2 + j];
}

function rowsN(data: Uint8ClampedArray, s0: number, stride: number, weights: Float32Array, wb: number, n: number, row: Float64Array, span: number): void {
  row.fill(0, 0, span);
  for (let k = 0; k < n; k++) {
    const weight = weights[wb + k], sk = s0 + k * stride;
    for (let j = 0; j < span; j++) row[j] += weight * data[sk + j];
  }
}

function columns2(row: Float64Array, starts: Int32Array, w: Float32Array, out: Float64Array): void {
  for (let a = 0, wa = 0; a < starts.length; a++, wa += 2) {
    const j = starts[a];
    out[a] = w[wa] * row[j] + w[wa + 1] * row[j + 1];
  }
}

function columns3(row: Float64Array, starts: Int32Array, w: Float32Array, out: Float64Array): void {
  for (let a = 0, wa = 0; a < starts.length; a++, wa += 3) {
    const j = starts[a];
    out[a] = w[wa] * row[j] + w[wa + 1] * row[j + 1] + w[wa + 2] * row[j + 2];
  }
}

function columnsN(row: Float64Array, starts: Int32Array, w: Float32Array, taps: number, out: Float64Array): void {
  for (let a = 0, wa = 0; a < starts.length; a++, wa += taps) {
    const j = starts[a];
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += w[wa + k] * row[j + k];
    out[a] = sum;
  }
}

/**
 * Whether {@link planesToModelInput} can take these planes: greyscale, YCbCr or RGB (CMYK is not
 * linear in its planes), and an image that is shrunk to the target (enlarging is bilinear, on RGB).
 */
export function planarInputSupported(source: PlanarSource, target: { height: number; width: number }): boolean {
  const { jpeg, orientation } = source;
  const swap = ORIENT[orientation]?.swap ?? false;
  const w = swap ? jpeg.height : jpeg.width, h = swap ? jpeg.width : jpeg.height;
  const t = jpeg.transform;
  return (t === 'ycbcr' || t === 'grey' || t === 'rgb') && Math.max(target.height / h, target.width / w) <= 1;
}

/**
 * {@link toModelInput} straight from a JPEG's planes: the same resize and centre crop of the upright
 * (EXIF-oriented, optionally mirrored) image, computed on each plane at its own resolution (subsampled
 * chroma is never upsampled) and colour-converted only at the target size, so no full-size RGB image is
 * ever made. Differs from converting first by rounding only: the conversion is affine except where it
 * clips, and the result is not rounded to bytes before the resize.
 * Runs in the WebAssembly SIMD kernel of image-kernels.ts when `source.kernels` brings it (the same result
 * to float32 rounding, ~3x faster), else in the JavaScript below.
 * Requires {@link planarInputSupported}. Returns HWC float32 of length height*width*3: `out` when given
 * (filled completely), so a caller can reuse one buffer.
 */
export function planesToModelInput(
  source: PlanarSource,
  target: { height: number; width: number; pixelScale: number; pixelZeroPoint: number },
  out: Float32Array = new Float32Array(target.height * target.width * 3),
): Float32Array {
  const { jpeg, mirror = false } = source;
  const { swap, revX, revY } = ORIENT[source.orientation] ?? ORIENT[1];
  const { width: tw, height: th, pixelScale, pixelZeroPoint } = target;
  const w = swap ? jpeg.height : jpeg.width, h = swap ? jpeg.width : jpeg.height;
  const s = Math.max(th / h, tw / w);
  const rw = Math.max(tw, Math.round(w * s));
  const rh = Math.max(th, Math.round(h * s));
  const boxesX = areaBoxes(w, rw, Math.floor((rw - tw) / 2), tw, revX !== mirror);
  const boxesY = areaBoxes(h, rh, Math.floor((rh - th) / 2), th, revY);
  // The stored x axis is the upright x axis unless the orientation transposes.
  const storedX = swap ? boxesY : boxesX, storedY = swap ? boxesX : boxesY;
  const planes = jpeg.planes.map((p) => {
    const samplesX = Math.ceil(jpeg.width / p.upH), samplesY = Math.ceil(jpeg.height / p.upV);
    return planeResize(p.data, p.stride, planeWeights(storedX, p.upH, samplesX), planeWeights(storedY, p.upV, samplesY));
  });
  if (out.length !== th * tw * 3) throw new RangeError(`the output must hold ${th}x${tw}x3 values`);
  // Resized rows run along the stored x axis: along the output's rows, or down its columns when transposed.
  const nA = swap ? th : tw, nB = swap ? tw : th;
  const ycc = jpeg.transform === 'ycbcr';
  const step = swap ? tw * 3 : 3;
  const kernel = source.kernels;
  if (kernel) {
    const kernelPlanes = planes.map((p) => ({
      data: p.data, stride: p.stride, x0: p.x0, span: p.span,
      rowStart: p.wy.start, rowCount: p.wy.count, rowWeights: p.wy.weights, rowTaps: p.wy.maxTaps,
      columnStart: p.starts, columnWeights: p.wx.weights, columnTaps: p.wx.maxTaps,
    }));
    kernel.run(kernelPlanes, { columns: nA, rows: nB, stepColumn: step, stepRow: swap ? 3 : tw * 3, ycc, scale: pixelScale, zero: pixelZeroPoint }, out);
    return out;
  }
  const rows = planes.map(() => new Float64Array(nA));
  const r0 = rows[0], r1 = rows[rows.length === 3 ? 1 : 0], r2 = rows[rows.length === 3 ? 2 : 0];
  for (let b = 0; b < nB; b++) {
    for (let c = 0; c < planes.length; c++) resizeRow(planes[c], b, rows[c]);
    const o = swap ? b * 3 : b * tw * 3;
    if (ycc) ycbcrRow(r0, r1, r2, out, o, step, pixelScale, pixelZeroPoint);
    else rgbRow(r0, r1, r2, out, o, step, pixelScale, pixelZeroPoint);
  }
  return out;
}

/** One resized row of JFIF YCbCr (BT.601 full range) to normalised RGB at `out[o]`, `step` apart, clipped to 0..255 first. */
function ycbcrRow(py: Float64Array, pcb: Float64Array, pcr: Float64Array, out: Float32Array, o: number, step: number, scale: number, zero: number): void {
  for (let a = 0; a < py.length; a++, o += step) {
    const l = py[a], cb = pcb[a] - 128, cr = pcr[a] - 128;
    const r = l + 1.402 * cr;
    const g = l - 0.344136286 * cb - 0.714136286 * cr;
    const b = l + 1.772 * cb;
    out[o] = ((r < 0 ? 0 : r > 255 ? 255 : r) - zero) * scale;
    out[o + 1] = ((g < 0 ? 0 : g > 255 ? 255 : g) - zero) * scale;
    out[o + 2] = ((b < 0 ? 0 : b > 255 ? 255 : b) - zero) * scale;
  }
}

/** One resized row already in R, G, B (or one grey row passed three times), normalised. */
function rgbRow(p0: Float64Array, p1: Float64Array, p2: Float64Array, out: Float32Array, o: number, step: number, scale: number, zero: number): void {
  for (let a = 0; a < p0.length; a++, o += step) {
    out[o] = (p0[a] - zero) * scale;
    out[o + 1] = (p1[a] - zero) * scale;
    out[o + 2] = (p2[a] - zero) * scale;
  }
}

/**
 * The model input of an image from {@link decodeForModel}: {@link planesToModelInput} for planes,
 * {@link toModelInput} for RGB; `mirror` gives the left-right mirror image's input.
 * Returns HWC float32 of length height*width*3, written into `out` when given (for JPEG planes; RGB
 * images are copied into it), so that a caller can reuse one buffer: fresh memory is slow to touch.
 */
export function modelInputFrom(
  image: ModelImage,
  target: { height: number; width: number; pixelScale: number; pixelZeroPoint: number },
  options: { mirror?: boolean; out?: Float32Array } = {},
): Float32Array {
  const { mirror = false, out } = options;
  if (image.kind === 'planar') return planesToModelInput({ ...image.source, mirror }, target, out);
  const input = toModelInput(mirror ? flipHorizontal(image.image) : image.image, target);
  if (!out) return input;
  out.set(input);
  return out;
}
