import type { RgbImage } from './image-types.ts';

/**
 * A joint RGB colour histogram: each channel quantised to `binsPerChannel` levels, counts normalised to sum 1.
 * The features of the simplest baseline a transferred backbone has to beat.
 * @returns binsPerChannel^3 values (64 by default), index (r * b + g) * b + bl
 */
export function colourHistogram(image: RgbImage, binsPerChannel = 4): Float32Array {
  const b = binsPerChannel;
  const histogram = new Float32Array(b * b * b);
  const { data } = image;
  const pixels = data.length / 3;
  for (let i = 0; i < data.length; i += 3) {
    const r = (data[i] * b) >> 8;
    const g = (data[i + 1] * b) >> 8;
    const bl = (data[i + 2] * b) >> 8;
    histogram[(r * b + g) * b + bl]++;
  }
  for (let i = 0; i < histogram.length; i++) histogram[i] /= pixels;
  return histogram;
}
