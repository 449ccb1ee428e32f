/**
 * Calibration: temperature scaling fitted on held-out data, and the expected calibration error (ECE) with the
 * reliability diagram it summarises.
 */
import { BadRequestError } from '../errors.ts';

/** Temperatures are searched in [1 / MAX_INVERSE, 1 / MIN_INVERSE]. */
const MIN_INVERSE = 0.02;
const MAX_INVERSE = 50;
const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * Fits the softmax temperature T that minimises the mean negative log-likelihood of the true labels
 * (Guo et al. 2017). The NLL is convex in 1/T, so a golden-section search on 1/T finds the optimum.
 * @param logits [n * k] logits at temperature 1 (`headLogits`)
 * @param labelIndex [n], each in [0, k)
 * @returns T in [0.02, 50]; 1 when n is 0
 * @throws BadRequestError when the lengths disagree or a label index is out of range
 */
export function fitTemperature(logits: Float64Array, labelIndex: Int32Array, k: number): number {
  const n = labelIndex.length;
  checkRows(logits.length, n, k, labelIndex);
  if (n === 0) return 1;
  let lo = Math.log(MIN_INVERSE);
  let hi = Math.log(MAX_INVERSE);
  const f = (logBeta: number) => meanNll(logits, labelIndex, k, Math.exp(logBeta));
  let a = hi - GOLDEN * (hi - lo);
  let b = lo + GOLDEN * (hi - lo);
  let fa = f(a);
  let fb = f(b);
  for (let i = 0; i < 60; i++) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - GOLDEN * (hi - lo);
      fa = f(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + GOLDEN * (hi - lo);
      fb = f(b);
    }
  }
  return 1 / Math.exp((lo + hi) / 2);
}

/** Mean -ln softmax(beta * logits)[y]. */
export function meanNll(logits: Float64Array, labelIndex: Int32Array, k: number, beta: number): number {
  const n = labelIndex.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, beta * logits[i * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(beta * logits[i * k + c] - max);
    total += max + Math.log(sum) - beta * logits[i * k + labelIndex[i]];
  }
  return n > 0 ? total / n : 0;
}

/** One bin of a reliability diagram: examples whose top-1 confidence lies in [lower, upper). */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean top-1 confidence in the bin (0 when empty). */
  confidence: number;
  /** Fraction of the bin whose top-1 prediction is right (0 when empty). */
  accuracy: number;
}

export interface CalibrationReport {
  /** Expected calibration error: sum over bins of count/n * |accuracy - confidence|, in [0, 1]. */
  ece: number;
  /** Largest |accuracy - confidence| over non-empty bins. */
  maxError: number;
  bins: ReliabilityBin[];
}

/**
 * ECE and reliability diagram of top-1 predictions, with equal-width confidence bins (the last bin includes 1).
 * @param probabilities [n * k] rows summing to 1
 * @param labelIndex [n] true labels
 * @param bins number of bins (default 10)
 * @throws BadRequestError when the lengths disagree, a label is out of range, or bins is not a positive integer
 */
export function calibrationReport(probabilities: Float32Array, labelIndex: Int32Array, k: number, bins = 10): CalibrationReport {
  const n = labelIndex.length;
  checkRows(probabilities.length, n, k, labelIndex);
  if (!(Number.isInteger(bins) && bins >= 1)) throw new BadRequestError(`bins must be a positive integer, got ${bins}`);
  const count = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  const correct = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    let top = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c] > probabilities[i * k + top]) top = c;
    const p = probabilities[i * k + top];
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]++;
    confidence[b] += p;
    if (top === labelIndex[i]) correct[b]++;
  }
  let ece = 0;
  let maxError = 0;
  const report: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const meanConfidence = count[b] > 0 ? confidence[b] / count[b] : 0;
    const accuracy = count[b] > 0 ? correct[b] / count[b] : 0;
    if (count[b] > 0) {
      const gap = Math.abs(accuracy - meanConfidence);
      ece += (count[b] / n) * gap;
      maxError = Math.max(maxError, gap);
    }
    report.push({ lower: b / bins, upper: (b + 1) / bins, count: count[b], confidence: meanConfidence, accuracy });
  }
  return { ece: n > 0 ? ece : 0, maxError, bins: report };
}

function checkRows(length: number, n: number, k: number, labelIndex: Int32Array): void {
  if (!(Number.isInteger(k) && k >= 1) || length !== n * k) {
    throw new BadRequestError(`expected ${n} rows of ${k} values, got ${length} values`);
  }
  for (let i = 0; i < n; i++) {
    if (!(labelIndex[i] >= 0 && labelIndex[i] < k)) throw new BadRequestError(`labelIndex[${i}] is ${labelIndex[i]}; it must be in [0, ${k - 1}]`);
  }
}

/** What calibrating a head on its validation split found; stored in the head manifest. */
export interface CalibrationSummary {
  temperature: number;
  /** ECE of the validation split before (temperature 1) and after temperature scaling. */
  eceBefore: number;
  eceAfter: number;
  /** Per-label thresholds (by label), chosen at each label's best F1 on validation. */
  thresholds: Record<string, number>;
  reliability: ReliabilityBin[];
  /**
   * The out-of-distribution score's rank and threshold (the `quantile` of held-out in-domain scores); crossFitted:
   * the threshold came from the training rows (the held-out set lacked a label).
   */
  ood?: { rank: number; threshold: number; quantile: number; crossFitted?: boolean };
}
