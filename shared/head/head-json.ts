/**
 * A head as plain JSON, for people who take the model with them: the same fields as `Head` (see
 * `head-types.ts` for the maths), every Float32Array as an array of numbers. A float32 value printed by
 * `JSON.stringify` parses back to the same float32, so `headFromJson(headToJson(h))` is `h` exactly (and
 * encodes to the very same bytes).
 */
import { InvalidModelError } from '../errors.ts';
import { encodeHead } from './head-codec.ts';
import type { Head, OodStats } from './head-types.ts';

export const HEAD_JSON_FORMAT = 'edgehead-head';

type Plain<T> = { [K in keyof T]: T[K] extends Float32Array ? number[] : T[K] extends Float32Array | undefined ? number[] | undefined : T[K] };

export interface HeadJson {
  format: typeof HEAD_JSON_FORMAT;
  /** How to compute the probabilities from an embedding x, in words (the fields below are its terms). */
  formula: string;
  labels: string[];
  embeddingSize: number;
  featureMean: number[];
  featureScale: number[];
  hidden?: { size: number; weights: number[]; bias: number[] };
  /** Row-major [hidden?.size ?? embeddingSize][labels.length]. */
  weights: number[];
  bias: number[];
  temperature: number;
  thresholds?: number[];
  ood?: Plain<OodStats>;
}

const FORMULA =
  'z = (x - featureMean) * featureScale; with hidden: z = max(0, z . hidden.weights + hidden.bias) (hidden.weights row-major [embeddingSize][hidden.size]); ' +
  'logit = z . weights + bias (weights row-major [inputs][labels.length]); p = softmax(logit / temperature). ' +
  'A top label whose p is below thresholds[label] is "unknown"; ood holds the Mahalanobis statistics of the out-of-distribution check.';

const plain = (a: Float32Array): number[] => Array.from(a);

/** The head as JSON-able data. Inverse of {@link headFromJson}. */
export function headToJson(head: Head): HeadJson {
  const json: HeadJson = {
    format: HEAD_JSON_FORMAT,
    formula: FORMULA,
    labels: [...head.labels],
    embeddingSize: head.embeddingSize,
    featureMean: plain(head.featureMean),
    featureScale: plain(head.featureScale),
    weights: plain(head.weights),
    bias: plain(head.bias),
    temperature: head.temperature,
  };
  if (head.hidden) json.hidden = { size: head.hidden.size, weights: plain(head.hidden.weights), bias: plain(head.hidden.bias) };
  if (head.thresholds) json.thresholds = plain(head.thresholds);
  if (head.ood) {
    const { rank, residualVariance, threshold, inverseVariance, basis, classMeans, projectedMeans } = head.ood;
    json.ood = {
      rank, residualVariance, threshold,
      inverseVariance: plain(inverseVariance), basis: plain(basis), classMeans: plain(classMeans), projectedMeans: plain(projectedMeans),
    };
  }
  return json;
}

function floats(value: unknown, name: string): Float32Array {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'number')) throw new InvalidModelError(`head JSON: ${name} must be an array of numbers`);
  return Float32Array.from(value as number[]);
}

/**
 * Parses head JSON back into a `Head`. Inverse of {@link headToJson}.
 * @throws InvalidModelError when the format tag, a field's type, or the head's consistency (lengths, labels,
 *   finite values, positive temperature) is wrong: the same checks `encodeHead` makes before publishing
 */
export function headFromJson(json: unknown): Head {
  const j = json as Partial<HeadJson> | null;
  if (!j || typeof j !== 'object' || j.format !== HEAD_JSON_FORMAT) throw new InvalidModelError(`not an edgehead head: "format" must be "${HEAD_JSON_FORMAT}"`);
  if (!Array.isArray(j.labels) || typeof j.embeddingSize !== 'number' || typeof j.temperature !== 'number') {
    throw new InvalidModelError('head JSON needs labels (array), embeddingSize and temperature (numbers)');
  }
  const head: Head = {
    labels: [...j.labels],
    embeddingSize: j.embeddingSize,
    featureMean: floats(j.featureMean, 'featureMean'),
    featureScale: floats(j.featureScale, 'featureScale'),
    weights: floats(j.weights, 'weights'),
    bias: floats(j.bias, 'bias'),
    temperature: j.temperature,
  };
  if (j.hidden) head.hidden = { size: j.hidden.size, weights: floats(j.hidden.weights, 'hidden.weights'), bias: floats(j.hidden.bias, 'hidden.bias') };
  if (j.thresholds) head.thresholds = floats(j.thresholds, 'thresholds');
  if (j.ood) {
    const o = j.ood;
    head.ood = {
      rank: o.rank, residualVariance: o.residualVariance, threshold: o.threshold,
      inverseVariance: floats(o.inverseVariance, 'ood.inverseVariance'), basis: floats(o.basis, 'ood.basis'),
      classMeans: floats(o.classMeans, 'ood.classMeans'), projectedMeans: floats(o.projectedMeans, 'ood.projectedMeans'),
    };
  }
  encodeHead(head);
  return head;
}
