/**
 * The work one photo needs when embedding a folder (its plain embedding, its augmented views, its colour histogram,
 * each only when asked): the one function both the in-process path and the worker threads run, so a photo embedded
 * on any thread gives the same bits.
 */
import type { BackboneModel } from '../shared/backbone/backbone-model.ts';
import { embedAugmentedViews, embedImage } from '../shared/embed-image.ts';
import { EdgeheadError } from '../shared/errors.ts';
import { AUGMENTED_VIEWS } from '../shared/image/augment.ts';
import { colourHistogram } from '../shared/image/colour-histogram.ts';
import { decodeImage } from '../shared/image/decode-image.ts';
import type { ImageRuntime } from '../shared/image/image-runtime.ts';

/** Images bigger than this are skipped with a warning rather than decoded. */
export const MAX_TRAINING_PIXELS = 100_000_000;
/** Histograms need few pixels: the JPEG decoder then works at 1/8 scale. */
const HISTOGRAM_MIN_SIDE = 32;

export interface EmbedTask {
  bytes: Uint8Array;
  embedding: boolean;
  views: boolean;
  histogram: boolean;
}

export interface EmbedTaskResult {
  embedding?: Float32Array;
  /** in AUGMENTED_VIEWS order */
  views?: Float32Array[];
  histogram?: Float32Array;
}

/**
 * Computes what `task` asks for.
 * @throws EdgeheadError when the photo cannot be decoded (the caller skips it)
 */
export function runEmbedTask(task: EmbedTask, model: BackboneModel, runtime: ImageRuntime): EmbedTaskResult {
  const limits = { maxImagePixels: MAX_TRAINING_PIXELS, runtime };
  const result: EmbedTaskResult = {};
  if (task.embedding) result.embedding = embedImage(task.bytes, model, limits).embedding;
  if (task.views) result.views = embedAugmentedViews(task.bytes, model, limits, AUGMENTED_VIEWS);
  if (task.histogram) result.histogram = colourHistogram(decodeImage(task.bytes, { maxPixels: MAX_TRAINING_PIXELS, minSide: HISTOGRAM_MIN_SIDE, runtime }));
  return result;
}

/** What crosses the thread boundary for a refused photo. */
export interface EmbedTaskFailure {
  kind: EdgeheadError['kind'];
  code: string;
  message: string;
}
