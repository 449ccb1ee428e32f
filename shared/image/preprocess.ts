import type { RgbImage } from './image-types.ts';
import { flipHorizontal } from './augment.ts';
import type { ModelImage } from './decode-image.ts';
import type { JpegPlanes } from './jpeg/decode-jpeg.ts';

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

/** Where the pixels come from for {@link planesToModelInput}: a JPEG's planes and how to turn them upright. */
export interface PlanarSource {
  jpeg: JpegPlanes;
  /** EXIF orientation 1..8 of the stored image. */
  orientation: number;
  /** Mirror left-right after orienting (the flipped training view). */
  mirror?: boolean;
}

/** For orientations 1..8: whether the upright x axis runs along stored rows' transposition, and which upright axes run backwards. */
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

/**
 * Separable resize of one 8-bit plane: rows by `wy`, columns by `wx`; returns wy-length x wx-length floats.
 * The taps are unrolled for the common counts (an area average shrinking by less than 2 covers 2 or 3
 * source samples), which is most of the time of the planar path.
 */
function resizePlane(data: Uint8ClampedArray, stride: number, wx: AxisWeights, wy: AxisWeights): Float32Array {
  const nA = wx.start.length, nB = wy.start.length;
  let x0 = Infinity, x1 = 0;
  for (let a = 0; a < nA; a++) {
    x0 = Math.min(x0, wx.start[a]);
    x1 = Math.max(x1, wx.start[a] + wx.count[a]);
  }
  const span = x1 - x0;
  const taps = wx.maxTaps;
  // Zero weights pad every column to `taps` taps; the row has that many zeros past its end for them.
  const row = new Float64Array(span + taps);
  const out = new Float32Array(nA * nB);
  const ww = wx.weights, wstart = wx.start;
  for (let b = 0; b < nB; b++) {
    // Vertical pass over the needed columns only.
    const n = wy.count[b], wb = b * wy.maxTaps;
    const s0 = wy.start[b] * stride + x0;
    if (n === 2) {
      const w0 = wy.weights[wb], w1 = wy.weights[wb + 1], s1 = s0 + stride;
      for (let j = 0; j < span; j++) row[j] = w0 * data[s0 + j] + w1 * data[s1 + j];
    } else if (n === 3) {
      const w0 = wy.weights[wb], w1 = wy.weights[wb + 1], w2 = wy.weights[wb + 2], s1 = s0 + stride, s2 = s1 + stride;
      for (let j = 0; j < span; j++) row[j] = w0 * data[s0 + j] + w1 * data[s1 + j] + w2 * data[s2 + j];
    } else {
      row.fill(0, 0, span);
      for (let k = 0; k < n; k++) {
        const weight = wy.weights[wb + k], sk = s0 + k * stride;
        for (let j = 0; j < span; j++) row[j] += weight * data[sk + j];
      }
    }
    // Horizontal pass from the accumulated row.
    const o = b * nA;
    if (taps === 2) {
      for (let a = 0, wa = 0; a < nA; a++, wa += 2) {
        const j = wstart[a] - x0;
        out[o + a] = ww[wa] * row[j] + ww[wa + 1] * row[j + 1];
      }
    } else if (taps === 3) {
      for (let a = 0, wa = 0; a < nA; a++, wa += 3) {
        const j = wstart[a] - x0;
        out[o + a] = ww[wa] * row[j] + ww[wa + 1] * row[j + 1] + ww[wa + 2] * row[j + 2];
      }
    } else {
      for (let a = 0, wa = 0; a < nA; a++, wa += taps) {
        const j = wstart[a] - x0;
        let sum = 0;
        for (let k = 0; k < taps; k++) sum += ww[wa + k] * row[j + k];
        out[o + a] = sum;
      }
    }
  }
  return out;
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
 * Requires {@link planarInputSupported}. Returns HWC float32 of length height*width*3.
 */
export function planesToModelInput(
  source: PlanarSource,
  target: { height: number; width: number; pixelScale: number; pixelZeroPoint: number },
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
  const resized = jpeg.planes.map((p) => {
    const samplesX = Math.ceil(jpeg.width / p.upH), samplesY = Math.ceil(jpeg.height / p.upV);
    return resizePlane(p.data, p.stride, planeWeights(storedX, p.upH, samplesX), planeWeights(storedY, p.upV, samplesY));
  });
  const out = new Float32Array(th * tw * 3);
  const p0 = resized[0], p1 = resized[resized.length === 3 ? 1 : 0], p2 = resized[resized.length === 3 ? 2 : 0];
  const ycc = jpeg.transform === 'ycbcr';
  // Resized planes are indexed [stored-y output][stored-x output]; transposed orientations swap the two.
  const stepX = swap ? th : 1, stepY = swap ? 1 : tw;
  let o = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0, i = y * stepY; x < tw; x++, o += 3, i += stepX) {
      let r = p0[i], g = p1[i], b = p2[i];
      if (ycc) {
        const l = r, cb = g - 128, cr = b - 128;
        r = l + 1.402 * cr;
        g = l - 0.344136286 * cb - 0.714136286 * cr;
        b = l + 1.772 * cb;
        r = r < 0 ? 0 : r > 255 ? 255 : r;
        g = g < 0 ? 0 : g > 255 ? 255 : g;
        b = b < 0 ? 0 : b > 255 ? 255 : b;
      }
      out[o] = (r - pixelZeroPoint) * pixelScale;
      out[o + 1] = (g - pixelZeroPoint) * pixelScale;
      out[o + 2] = (b - pixelZeroPoint) * pixelScale;
    }
  }
  return out;
}

/**
 * The model input of an image from {@link decodeForModel}: {@link planesToModelInput} for planes,
 * {@link toModelInput} for RGB; `mirror` gives the left-right mirror image's input.
 * Returns HWC float32 of length height*width*3.
 */
export function modelInputFrom(
  image: ModelImage,
  target: { height: number; width: number; pixelScale: number; pixelZeroPoint: number },
  options: { mirror?: boolean } = {},
): Float32Array {
  if (image.kind === 'planar') return planesToModelInput({ ...image.source, mirror: options.mirror }, target);
  return toModelInput(options.mirror ? flipHorizontal(image.image) : image.image, target);
}
