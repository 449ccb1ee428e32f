import type { BackboneModel } from './backbone/backbone-model.ts';
import type { BackboneEngine } from './backbone/backbone-spec.ts';
import { augmentedView, type AugmentedView } from './image/augment.ts';
import { decodeForModel, decodeImage } from './image/decode-image.ts';
import type { ImageRuntime } from './image/image-runtime.ts';
import { modelInputFrom, toModelInput } from './image/preprocess.ts';
import type { ImageInfo } from './image/image-types.ts';

/** The decode limits of an embedding, the adapter's image runtime, and the header when the caller already probed it. */
export interface EmbedLimits {
  maxImagePixels: number;
  maxWebpPixels?: number;
  maxDecodeBytes?: number;
  runtime: ImageRuntime;
  /** `probeImage(bytes)` already read by the caller (a route checks the header first): not parsed twice */
  info?: ImageInfo;
}

export interface EmbedTiming {
  decode: number;
  resize: number;
  forward: number;
  /** which engine ran the forward: "int8-simd" or "float32-tfjs" */
  engine: BackboneEngine;
}

/**
 * Decodes an image and embeds it with the frozen backbone: the one path both the worker (classify) and
 * the trainer (building its training set) take, so a head always sees features made the same way.
 * @param bytes the encoded image (JPEG or PNG)
 * @param limits the service's image limits, and the adapter's image runtime (kernels, codecs, scratch)
 * @param clock milliseconds, for the timing split (workerd only advances it across I/O)
 * @returns the embedding, `backbone.spec.embeddingSize` float32 values
 * @throws UnsupportedMediaError, UndecodableImageError, TooLargeError from the decoder
 */
export function embedImage(
  bytes: Uint8Array,
  backbone: BackboneModel,
  limits: EmbedLimits,
  clock: () => number = () => Date.now(),
): { embedding: Float32Array; timing: EmbedTiming } {
  const { spec } = backbone;
  const target = { height: spec.inputHeight, width: spec.inputWidth, pixelScale: spec.pixelScale, pixelZeroPoint: spec.pixelZeroPoint };
  const t0 = clock();
  // A JPEG stays as planes here; "resize" then includes colour conversion, at the model's size.
  const image = decodeForModel(bytes, { maxPixels: limits.maxImagePixels, maxWebpPixels: limits.maxWebpPixels, maxDecodeBytes: limits.maxDecodeBytes, runtime: limits.runtime, info: limits.info, height: target.height, width: target.width, reuse: limits.runtime.planeScratch });
  const t1 = clock();
  const input = modelInputFrom(image, target, { out: limits.runtime.inputScratch.take(target.height * target.width * 3) });
  const t2 = clock();
  const embedding = backbone.embed(input, 1);
  const t3 = clock();
  return { embedding, timing: { decode: t1 - t0, resize: t2 - t1, forward: t3 - t2, engine: backbone.engine } };
}

/**
 * Embeds an image and its horizontal mirror in one batch of 2 (decoding once): the two views a stored
 * training example keeps, so the head learns that left and right do not matter.
 * @returns two `embeddingSize` float32 embeddings: `plain` (exactly what `embedImage` gives) and `flipped`
 * @throws as {@link embedImage}
 */
export function embedImageViews(
  bytes: Uint8Array,
  backbone: BackboneModel,
  limits: EmbedLimits,
): { plain: Float32Array; flipped: Float32Array } {
  const { spec } = backbone;
  const size = { height: spec.inputHeight, width: spec.inputWidth, pixelScale: spec.pixelScale, pixelZeroPoint: spec.pixelZeroPoint };
  const image = decodeForModel(bytes, { maxPixels: limits.maxImagePixels, maxWebpPixels: limits.maxWebpPixels, maxDecodeBytes: limits.maxDecodeBytes, runtime: limits.runtime, info: limits.info, height: size.height, width: size.width, reuse: limits.runtime.planeScratch });
  const length = size.height * size.width * 3;
  const input = limits.runtime.inputScratch.take(length * 2);
  modelInputFrom(image, size, { out: input.subarray(0, length) });
  modelInputFrom(image, size, { mirror: true, out: input.subarray(length) });
  const both = backbone.embed(input, 2);
  const d = spec.embeddingSize;
  return { plain: both.slice(0, d), flipped: both.slice(d, 2 * d) };
}

/**
 * Embeds augmented views of an image (training only; classify always takes the plain view of {@link embedImage}).
 * The image is decoded with headroom (enough for a 65% crop to cover the model input at full resolution), so
 * every view is cut from the same pixels whatever views are asked for.
 * @returns one embedding per view, in the order asked
 * @throws as {@link embedImage}
 */
export function embedAugmentedViews(
  bytes: Uint8Array,
  backbone: BackboneModel,
  limits: EmbedLimits,
  views: readonly AugmentedView[],
): Float32Array[] {
  const { spec } = backbone;
  const side = Math.max(spec.inputHeight, spec.inputWidth);
  const image = decodeImage(bytes, { maxPixels: limits.maxImagePixels, maxWebpPixels: limits.maxWebpPixels, maxDecodeBytes: limits.maxDecodeBytes, runtime: limits.runtime, info: limits.info, minSide: Math.ceil(side / 0.65) });
  const target = { height: spec.inputHeight, width: spec.inputWidth, pixelScale: spec.pixelScale, pixelZeroPoint: spec.pixelZeroPoint };
  return views.map((view) => backbone.embed(toModelInput(augmentedView(image, view), target), 1));
}
