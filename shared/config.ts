import { BadRequestError } from './errors.ts';

/** The service's settings, parsed once from wrangler `vars` (all strings) into typed values with defaults. */
export interface ServiceConfig {
  /** largest accepted upload, bytes */
  maxImageBytes: number;
  /** largest accepted image, width*height from its header */
  maxImagePixels: number;
  /** predictions returned when the request gives no `top_k` */
  defaultTopK: number;
  /** retraining: every label needs this many examples before a head is published (TRAIN_MIN_EXAMPLES) */
  trainMinExamples: number;
  /** retraining: CPU budget of the head fit in passes over the data (TRAIN_MAX_EVALUATIONS) */
  trainMaxEvaluations: number;
  /** retraining: holdout share in percent, 1..90 (TRAIN_HOLDOUT_PERCENT) */
  trainHoldoutPercent: number;
  /** retraining: examples re-embedded onto a new backbone per run at most (TRAIN_REEMBED_BATCH) */
  trainReembedBatch: number;
}

export const DEFAULT_CONFIG: ServiceConfig = {
  maxImageBytes: 20_000_000,
  maxImagePixels: 50_000_000,
  defaultTopK: 5,
  trainMinExamples: 10,
  trainMaxEvaluations: 150,
  trainHoldoutPercent: 20,
  trainReembedBatch: 32,
};

function positiveInteger(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new BadRequestError(`config ${name}=${JSON.stringify(raw)} is not a positive integer`, 'invalid_config');
  }
  return value;
}

/**
 * Parses the string vars a worker receives into a `ServiceConfig`.
 * @throws BadRequestError (code invalid_config) naming the offending variable
 */
export function parseServiceConfig(vars: Partial<Record<string, unknown>>): ServiceConfig {
  const text = (name: string) => (typeof vars[name] === 'string' ? (vars[name] as string) : undefined);
  return {
    maxImageBytes: positiveInteger(text('MAX_IMAGE_BYTES'), 'MAX_IMAGE_BYTES', DEFAULT_CONFIG.maxImageBytes),
    maxImagePixels: positiveInteger(text('MAX_IMAGE_PIXELS'), 'MAX_IMAGE_PIXELS', DEFAULT_CONFIG.maxImagePixels),
    defaultTopK: positiveInteger(text('DEFAULT_TOP_K'), 'DEFAULT_TOP_K', DEFAULT_CONFIG.defaultTopK),
    trainMinExamples: positiveInteger(text('TRAIN_MIN_EXAMPLES'), 'TRAIN_MIN_EXAMPLES', DEFAULT_CONFIG.trainMinExamples),
    trainMaxEvaluations: positiveInteger(text('TRAIN_MAX_EVALUATIONS'), 'TRAIN_MAX_EVALUATIONS', DEFAULT_CONFIG.trainMaxEvaluations),
    trainHoldoutPercent: Math.min(90, positiveInteger(text('TRAIN_HOLDOUT_PERCENT'), 'TRAIN_HOLDOUT_PERCENT', DEFAULT_CONFIG.trainHoldoutPercent)),
    trainReembedBatch: positiveInteger(text('TRAIN_REEMBED_BATCH'), 'TRAIN_REEMBED_BATCH', DEFAULT_CONFIG.trainReembedBatch),
  };
}

/**
 * Limits of the JPEG decoder against hostile files, counted (never timed) where the work happens.
 * - `maxScans`: libjpeg-turbo's tools and TurboJPEG refuse more than 500 scans; no encoder writes that many
 *   (libjpeg's progressive script writes 10 for YCbCr, 6 per component otherwise).
 * - `maxBlockVisitsPerBlock`: Huffman block visits of the decoded scans, per block of the frame. libjpeg's
 *   progressive script (jpegtran -progressive, cjpeg -progressive) visits each luma block 6 times and each
 *   chroma block 4 times (at most 6 per block, 5.3 on average for 4:2:0); mozjpeg's scan search picks at most
 *   a DC scan, two spectral bands and three successive-approximation refinements per component (~6-7). 24 is
 *   4x the most a real encoder needs, while a scan flood re-visits every block hundreds of times.
 */
export interface JpegLimits {
  maxScans: number;
  maxBlockVisitsPerBlock: number;
}

export const DEFAULT_JPEG_LIMITS: JpegLimits = { maxScans: 500, maxBlockVisitsPerBlock: 24 };
