/**
 * Cross-fitted calibration: an honest ECE for a set of photos that may include the ones the served temperature
 * was fitted on. Measuring a temperature on its own fitting photos flatters it, so the photos are dealt into
 * folds (stratified by label), a temperature is fitted on all folds but one and scores only the left-out fold.
 */
import { BadRequestError } from '../errors.ts';
import { fitTemperature } from './calibration.ts';

export interface CalibrationFold {
  /** Temperature fitted on every photo outside this fold. */
  temperature: number;
  /** Indices of the photos it was fitted on. */
  fittedOn: number[];
  /** Indices of the photos it scored (this fold); disjoint from fittedOn. */
  scoredOn: number[];
}

export interface CrossFittedCalibration {
  /** [n * k] probabilities, each row from the temperature of the fold that did not see the photo. */
  probabilities: Float32Array;
  folds: CalibrationFold[];
}

/**
 * Deals the photos into `folds` folds (the i-th photo of each label goes to fold i mod folds, so every fold has
 * each label in proportion), fits a temperature on the other folds' logits and applies it to the fold.
 * @param logits [n * k] logits at temperature 1 (`headLogits`)
 * @param labelIndex [n] true labels in [0, k)
 * @throws BadRequestError when folds is not an integer >= 2 or there are fewer photos than folds
 */
export function crossFitCalibration(logits: Float64Array, labelIndex: Int32Array, k: number, folds = 2): CrossFittedCalibration {
  const n = labelIndex.length;
  if (!(Number.isInteger(folds) && folds >= 2)) throw new BadRequestError(`folds must be an integer >= 2, got ${folds}`);
  if (n < folds) throw new BadRequestError(`cross-fitted calibration needs at least ${folds} photos, got ${n}`);
  if (logits.length !== n * k) throw new BadRequestError(`expected ${n} rows of ${k} logits, got ${logits.length} values`);
  const seen = new Map<number, number>();
  const foldOf = Array.from(labelIndex, (label) => {
    const rank = seen.get(label) ?? 0;
    seen.set(label, rank + 1);
    return rank % folds;
  });
  const probabilities = new Float32Array(n * k);
  const result: CalibrationFold[] = [];
  for (let f = 0; f < folds; f++) {
    const fittedOn: number[] = [];
    const scoredOn: number[] = [];
    foldOf.forEach((g, i) => (g === f ? scoredOn : fittedOn).push(i));
    const temperature = fitTemperature(pickRows(logits, fittedOn, k), Int32Array.from(fittedOn, (i) => labelIndex[i]), k);
    for (const i of scoredOn) softmaxRow(logits, i, k, 1 / temperature, probabilities);
    result.push({ temperature, fittedOn, scoredOn });
  }
  return { probabilities, folds: result };
}

function pickRows(logits: Float64Array, rows: number[], k: number): Float64Array {
  const out = new Float64Array(rows.length * k);
  rows.forEach((r, j) => out.set(logits.subarray(r * k, (r + 1) * k), j * k));
  return out;
}

function softmaxRow(logits: Float64Array, i: number, k: number, beta: number, out: Float32Array): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, beta * logits[i * k + c]);
  let sum = 0;
  for (let c = 0; c < k; c++) sum += Math.exp(beta * logits[i * k + c] - max);
  for (let c = 0; c < k; c++) out[i * k + c] = Math.exp(beta * logits[i * k + c] - max) / sum;
}
