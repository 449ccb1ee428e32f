import type { RgbImage } from './image-types.ts';

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
