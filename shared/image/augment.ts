/** Augmented views of a decoded image, for training: mirror images and crops at a few scales. */
import type { RgbImage } from './image-types.ts';

/**
 * The views training adds beside the plain image, in a fixed order (their names key the embedding cache).
 * A 65% centre crop was tried too and cost accuracy on both fixture sets (it cuts into the subject), so it is
 * available but not in the default set.
 */
export const AUGMENTED_VIEWS = ['flip', 'crop80', 'crop80-flip'] as const;
export type AugmentedView = (typeof AUGMENTED_VIEWS)[number] | 'crop65';

/** Left-right mirror image. */
export function flipHorizontal(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const from = row + x * 3;
      const to = row + (width - 1 - x) * 3;
      out[to] = data[from];
      out[to + 1] = data[from + 1];
      out[to + 2] = data[from + 2];
    }
  }
  return { width, height, data: out, channels: 3 };
}

/**
 * The centred crop keeping `fraction` of each side (at least one pixel): the model then sees the middle of
 * the photo at a larger scale.
 */
export function cropCentre(image: RgbImage, fraction: number): RgbImage {
  const width = Math.max(1, Math.round(image.width * fraction));
  const height = Math.max(1, Math.round(image.height * fraction));
  const left = Math.floor((image.width - width) / 2);
  const top = Math.floor((image.height - height) / 2);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data: out, channels: 3 };
}

/** Applies one named view. */
export function augmentedView(image: RgbImage, view: AugmentedView): RgbImage {
  switch (view) {
    case 'flip':
      return flipHorizontal(image);
    case 'crop80':
      return cropCentre(image, 0.8);
    case 'crop80-flip':
      return flipHorizontal(cropCentre(image, 0.8));
    case 'crop65':
      return cropCentre(image, 0.65);
  }
}
