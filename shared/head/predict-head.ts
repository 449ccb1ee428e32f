import { BadRequestError } from '../errors.ts';
import type { Head } from './head-types.ts';

/** One ranked class. */
export interface Prediction {
  label: string;
  /** Probability in [0, 1]. */
  score: number;
}

/**
 * Class probabilities for a batch of embeddings.
 * @param embeddings [n * embeddingSize], row-major, one embedding per row
 * @param n number of rows; defaults to embeddings.length / head.embeddingSize
 * @returns probabilities [n * labels.length], row-major in head.labels order; each row sums to 1
 *   (computed in float64 with the max-logit shift, so large logits neither overflow nor give NaN)
 * @throws BadRequestError when the length does not match n * embeddingSize or an embedding value is not finite
 */
export function predictHead(head: Head, embeddings: Float32Array, n?: number): Float32Array {
  const k = head.labels.length;
  const logits = headLogits(head, embeddings, n);
  const rows = logits.length / k;
  const inverseTemperature = 1 / head.temperature;
  const probabilities = new Float32Array(rows * k);
  const row = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < k; c++) row[c] = logits[i * k + c];
    softmaxInto(row, inverseTemperature, probabilities, i * k);
  }
  return probabilities;
}

/**
 * The head's logits before the temperature, in float64 (what calibration fits a temperature on).
 * @param embeddings [n * embeddingSize], row-major
 * @returns [n * labels.length], row-major in head.labels order
 * @throws BadRequestError as {@link predictHead}
 */
export function headLogits(head: Head, embeddings: Float32Array, n?: number): Float64Array {
  const d = head.embeddingSize;
  const k = head.labels.length;
  const rows = n ?? embeddings.length / d;
  if (!Number.isInteger(rows) || rows < 0 || embeddings.length !== rows * d) {
    throw new BadRequestError(
      `embeddings have ${embeddings.length} values; expected n * ${d} (embeddingSize of this head)${n === undefined ? '' : ` with n = ${n}`}`,
    );
  }
  const { featureMean, featureScale, weights, bias, hidden } = head;
  const h = hidden?.size ?? 0;
  const logits = new Float64Array(rows * k);
  const z = new Float64Array(d);
  const a = new Float64Array(h);
  for (let i = 0; i < rows; i++) {
    const offset = i * d;
    for (let j = 0; j < d; j++) {
      const x = embeddings[offset + j];
      if (!Number.isFinite(x)) throw new BadRequestError(`embedding ${i} has a non-finite value (${x}) at index ${j}`);
      z[j] = (x - featureMean[j]) * featureScale[j];
    }
    let input: Float64Array = z;
    let inputs = d;
    if (hidden) {
      for (let u = 0; u < h; u++) a[u] = hidden.bias[u];
      for (let j = 0; j < d; j++) {
        const zj = z[j];
        if (zj === 0) continue;
        const row = j * h;
        for (let u = 0; u < h; u++) a[u] += zj * hidden.weights[row + u];
      }
      for (let u = 0; u < h; u++) if (a[u] < 0) a[u] = 0;
      input = a;
      inputs = h;
    }
    const out = i * k;
    for (let c = 0; c < k; c++) logits[out + c] = bias[c];
    for (let j = 0; j < inputs; j++) {
      const v = input[j];
      const row = j * k;
      for (let c = 0; c < k; c++) logits[out + c] += v * weights[row + c];
    }
  }
  return logits;
}

/**
 * Writes softmax(logits * scale) to out[at .. at + logits.length). The max is subtracted first, so the
 * largest term is exp(0) = 1 and the sum is in [1, k]: no overflow, no division by zero.
 */
function softmaxInto(logits: Float64Array, scale: number, out: Float32Array, at: number): void {
  const k = logits.length;
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, logits[c] * scale);
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(logits[c] * scale - max);
    logits[c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) out[at + c] = logits[c] / sum;
}

/**
 * Turns one row of probabilities into labelled predictions, best first.
 * @param probabilities one row [labels.length] from {@link predictHead}
 * @param topK how many to return (default: all labels)
 * @returns sorted by score descending; equal scores by label (code-unit order), so the order is deterministic
 * @throws BadRequestError when the row length is not labels.length or topK is not a positive integer
 */
export function rankPredictions(head: Head, probabilities: Float32Array, topK: number = head.labels.length): Prediction[] {
  if (probabilities.length !== head.labels.length) {
    throw new BadRequestError(`expected one row of ${head.labels.length} probabilities, got ${probabilities.length}`);
  }
  if (!Number.isInteger(topK) || topK < 1) throw new BadRequestError(`topK must be a positive integer, got ${topK}`);
  const ranked = head.labels.map((label, c) => ({ label, score: probabilities[c] }));
  ranked.sort((a, b) => b.score - a.score || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return ranked.slice(0, topK);
}
