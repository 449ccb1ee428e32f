import { ConfigError } from './errors.ts';
import { parseInteger } from './parse-integer.ts';

/** The service's settings, parsed once from wrangler `vars` (all strings) into typed values with defaults. */
export interface ServiceConfig {
  /** largest accepted upload, bytes */
  maxImageBytes: number;
  /** largest accepted image, width*height from its header */
  maxImagePixels: number;
  /** largest accepted WebP, width*height of its frame (MAX_WEBP_PIXELS): libwebp cannot shrink while decoding, so a WebP costs ~11 bytes per pixel at once (measured peak: lossless 2 MP +33 MiB, lossy +22 MiB, as much as a 12 MP JPEG classify) */
  maxWebpPixels: number;
  /**
   * per-request decode budget in bytes (MAX_DECODE_BYTES): what one image's decode may hold at once in buffers
   * it allocates (coefficients, planes, inflated rows, RGB/RGBA, the WebP codec's output). Decoders check their
   * planned allocations against it before allocating and refuse with 413 when over. See ISOLATE_MEMORY_BUDGET.
   */
  maxDecodeBytes: number;

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
  /**
   * retraining: lease lifetime in seconds (TRAIN_LEASE_SECONDS). A run renews it at every awaited step, so a run
   * whose process died (workerd killed) blocks the next one for at most this long; the longest stretch without
   * an await (the head fit, bounded by TRAIN_MAX_EVALUATIONS) takes seconds.
   */
  trainLeaseSeconds: number;
  /** whether the RATE_LIMITER binding is consulted (RATE_LIMIT = "on" | "off"; off for local load tests) */
  rateLimitEnabled: boolean;
  /** Retry-After of a 429 in seconds: the period of the RATE_LIMITER binding, 10 or 60 (RATE_LIMIT_PERIOD) */
  rateLimitPeriodSeconds: number;
  /**
   * origins granted CORS (CORS_ORIGINS, comma-separated `scheme://host[:port]`, or `*` for any); empty = same
   * origin only, no CORS headers at all
   */
  corsOrigins: string[];
}

const MiB = 2 ** 20;

/**
 * The isolate's memory budget. A Workers isolate has 128 MB, wasm memories included, shared by every request it
 * runs at once; local workerd does not enforce it, so each line is a measured figure or a cap we enforce
 * (`npm run load` and `npm run bench` measure them; README "Memory budget"). Wasm memories never shrink, so each
 * wasm heap's line is its high-water mark.
 */
export const ISOLATE_MEMORY_BUDGET = {
  /** the platform's limit */
  isolateBytes: 128_000_000,
  /** tfjs wasm heap with the serving MobileNetV2 1.0 (weights, packed filters, activations of one forward at batch 1): measured 28-48 MiB */
  tfWasmHeapBytes: 48 * MiB,
  /** image kernels' memory (JPEG scans, resize): capped in shared/image/image-kernels.ts */
  imageKernelBytes: 8_000_000,
  /** libwebp's emscripten heap: 16 MiB reserved at start; must not grow beyond it (the WebP decoder's size cap) */
  webpCodecHeapBytes: 16 * MiB,
  /** one request's decode buffers at a time (decoding is synchronous, so one at a time): ServiceConfig.maxDecodeBytes */
  decodeBytes: 16 * MiB,
  /**
   * upload bytes held by concurrent requests. Not enforceable inside the isolate: a request that waits on a promise
   * another request resolves is cancelled by workerd as hung ("The Workers runtime canceled this request"; tried,
   * seen under `npm run load`). One MAX_IMAGE_BYTES upload fits; several large ones at once do not.
   */
  uploadBytesInFlight: 20_000_000,
  /** JS heap (code, Hono, head weights, model cache, garbage not yet collected), what is left */
  jsHeapBytes: 8 * MiB,
} as const;

export const DEFAULT_CONFIG: ServiceConfig = {
  maxImageBytes: 20_000_000,
  maxImagePixels: 50_000_000,
  maxWebpPixels: 2_000_000,
  maxDecodeBytes: ISOLATE_MEMORY_BUDGET.decodeBytes,

  defaultTopK: 5,
  trainMinExamples: 10,
  trainMaxEvaluations: 150,
  trainHoldoutPercent: 20,
  trainReembedBatch: 32,
  trainLeaseSeconds: 90,
  rateLimitEnabled: true,
  rateLimitPeriodSeconds: 60,
  corsOrigins: [],
};

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i;

function originList(raw: string | undefined): string[] {
  const origins = (raw ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of origins) {
    if (origin !== '*' && !ORIGIN.test(origin)) {
      throw new ConfigError(
        `config CORS_ORIGINS has ${JSON.stringify(origin)}; use comma-separated origins such as https://app.example or http://localhost:5173 (no path, no trailing slash), or * for any origin`,
        'invalid_config',
      );
    }
  }
  return origins.includes('*') ? ['*'] : origins;
}

function onOff(raw: string | undefined, name: string, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on' || raw === 'off') return raw === 'on';
  throw new ConfigError(`config ${name}=${JSON.stringify(raw)}; use "on" or "off"`, 'invalid_config');
}

function ratePeriod(raw: string | undefined): number {
  const period = positiveInteger(raw, 'RATE_LIMIT_PERIOD', DEFAULT_CONFIG.rateLimitPeriodSeconds);
  if (period !== 10 && period !== 60) {
    throw new ConfigError(`config RATE_LIMIT_PERIOD=${period}; the rate-limiting binding supports 10 or 60 seconds`, 'invalid_config');
  }
  return period;
}

function positiveInteger(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = parseInteger(raw, 1);
  if (value === null) {
    throw new ConfigError(`config ${name}=${JSON.stringify(raw)} is not a positive integer`, 'invalid_config');
  }
  return value;
}

/**
 * Parses the string vars a worker receives into a `ServiceConfig`.
 * @throws ConfigError (code invalid_config; the server's fault: 500, logged) naming the offending variable
 */
export function parseServiceConfig(vars: Partial<Record<string, unknown>>): ServiceConfig {
  const text = (name: string) => (typeof vars[name] === 'string' ? (vars[name] as string) : undefined);
  return {
    maxImageBytes: positiveInteger(text('MAX_IMAGE_BYTES'), 'MAX_IMAGE_BYTES', DEFAULT_CONFIG.maxImageBytes),
    maxImagePixels: positiveInteger(text('MAX_IMAGE_PIXELS'), 'MAX_IMAGE_PIXELS', DEFAULT_CONFIG.maxImagePixels),
    maxWebpPixels: positiveInteger(text('MAX_WEBP_PIXELS'), 'MAX_WEBP_PIXELS', DEFAULT_CONFIG.maxWebpPixels),
    maxDecodeBytes: positiveInteger(text('MAX_DECODE_BYTES'), 'MAX_DECODE_BYTES', DEFAULT_CONFIG.maxDecodeBytes),
    defaultTopK: positiveInteger(text('DEFAULT_TOP_K'), 'DEFAULT_TOP_K', DEFAULT_CONFIG.defaultTopK),
    trainMinExamples: positiveInteger(text('TRAIN_MIN_EXAMPLES'), 'TRAIN_MIN_EXAMPLES', DEFAULT_CONFIG.trainMinExamples),
    trainMaxEvaluations: positiveInteger(text('TRAIN_MAX_EVALUATIONS'), 'TRAIN_MAX_EVALUATIONS', DEFAULT_CONFIG.trainMaxEvaluations),
    trainHoldoutPercent: Math.min(90, positiveInteger(text('TRAIN_HOLDOUT_PERCENT'), 'TRAIN_HOLDOUT_PERCENT', DEFAULT_CONFIG.trainHoldoutPercent)),
    trainReembedBatch: positiveInteger(text('TRAIN_REEMBED_BATCH'), 'TRAIN_REEMBED_BATCH', DEFAULT_CONFIG.trainReembedBatch),
    trainLeaseSeconds: positiveInteger(text('TRAIN_LEASE_SECONDS'), 'TRAIN_LEASE_SECONDS', DEFAULT_CONFIG.trainLeaseSeconds),
    rateLimitEnabled: onOff(text('RATE_LIMIT'), 'RATE_LIMIT', DEFAULT_CONFIG.rateLimitEnabled),
    rateLimitPeriodSeconds: ratePeriod(text('RATE_LIMIT_PERIOD')),
    corsOrigins: originList(text('CORS_ORIGINS')),
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
  /**
   * Progressive coefficient buffers, bytes: 2 per block at 1/8 scale (DC only), 128 per block otherwise. The
   * scale is chosen from the shorter side, so only a very elongated progressive image or a 4:4:4 one near 3 MP
   * decoded at 2/8..4/8 comes near it; a 4:2:0 1600x1200 photo at 2/8 needs 5.8 MB. The service passes its
   * MAX_DECODE_BYTES here (decode-image.ts).
   */
  maxCoefficientBytes: number;
}

export const DEFAULT_JPEG_LIMITS: JpegLimits = { maxScans: 500, maxBlockVisitsPerBlock: 24, maxCoefficientBytes: 32 * 2 ** 20 };
