/**
 * Suspect labels: examples whose given label the model confidently contradicts, found with out-of-fold
 * predictions and per-class confidence thresholds (the confident-learning idea, Northcutt et al. 2021).
 *
 * Each example is predicted by a head that never saw it (k-fold). Class j's threshold t_j is the mean out-of-fold
 * probability of j over the examples labelled j (how sure the model usually is of a real j). An example labelled i
 * is suspect when another class j reaches (a fraction of) its own threshold, beats p_i, and is at least `minScore`:
 * the model says "this is a j" about as confidently as it says it of real js. A mislabelled minority drags t_i down
 * but not t_j, so the flipped examples still stand out.
 */
import { BadRequestError } from '../errors.ts';
import { predictHead } from './predict-head.ts';
import { allocateQuantisedRows, dequantiseRowInto } from '../examples/embedding-codec.ts';
import { trainHead, type QuantisedTrainingSet, type TrainingSet, type TrainOptions } from './train-head.ts';
import { stratifiedFolds } from './transferability.ts';

/** One suspect example. */
export interface Suspect {
  /** Row in the set. */
  index: number;
  /** The label index the model says instead. */
  label: number;
  /** Its out-of-fold probability. */
  score: number;
  /** The out-of-fold probability of the given label. */
  givenScore: number;
}

export interface SuspectOptions {
  /** A contradicting class must reach at least this probability. Default 0.5. */
  minScore?: number;
  /**
   * Fraction of class j's mean self-confidence t_j that a contradicting p_j must reach. Default 0.5: a flipped
   * example sits among examples wrongly labelled like it, so its out-of-fold confidence in its true class is lower
   * than a typical real j's (synthetic clusters, 30 of 130 flipped: fraction 1 lists 19 flips, 0.5 lists 24-26 of 30
   * with 0-2 false alarms).
   */
  thresholdFraction?: number;
}

export interface SuspectSearchOptions extends SuspectOptions {
  seed: number;
  /** Folds of the out-of-fold predictions. Default 5. */
  folds?: number;
  /**
   * L2 of the out-of-fold heads. Default {@link SUSPECT_L2}: stronger than the served head's, so the heads do not
   * learn the wrong labels they are meant to contradict.
   */
  l2?: number;
  /** Passes: after the first, the suspects found are left out of the training folds and every example is predicted again. Default 2. */
  rounds?: number;
  /** Objective evaluations per fold's head at most (the CPU bound of the cron's run). */
  maxEvaluations?: number;
}

/**
 * Measured on synthetic clusters with 30 of one label's 130 examples flipped (one pass): the served head's 0.003
 * lists 24/30 flips among 43, 0.3 lists 24/30 among 26; a second pass without the first's suspects lists 29 among 31.
 */
export const SUSPECT_L2 = 0.3;

/**
 * Suspect labels of a labelled set: stratified k-fold out-of-fold predictions, confident-learning thresholds,
 * and a second pass whose heads do not train on the first pass's suspects.
 * @param keys [n] stable keys of the examples (content hashes), so the folds do not depend on the order
 * @returns the suspects, most suspect first, and the final out-of-fold probabilities [n * k]
 */
export function searchSuspects(data: TrainingSet | QuantisedTrainingSet, keys: string[], options: SuspectSearchOptions): { suspects: Suspect[]; probabilities: Float32Array } {
  const n = data.labelIndex.length;
  const k = data.labels.length;
  const fold = stratifiedFolds(data.labelIndex, keys, Math.max(2, Math.min(options.folds ?? 5, n)), options.seed);
  const train: TrainOptions = { seed: options.seed, l2: options.l2 ?? SUSPECT_L2, maxEvaluations: options.maxEvaluations };
  let probabilities = outOfFoldProbabilities(data, fold, train);
  let suspects = findSuspects(probabilities, data.labelIndex, k, options);
  for (let round = 1; round < (options.rounds ?? 2) && suspects.length > 0; round++) {
    const excluded = new Uint8Array(n);
    for (const s of suspects) excluded[s.index] = 1;
    probabilities = outOfFoldProbabilities(data, fold, train, excluded);
    suspects = findSuspects(probabilities, data.labelIndex, k, options);
  }
  return { suspects, probabilities };
}

/**
 * Out-of-fold probabilities: for each fold, a head trained on the other folds predicts it. Labels absent from a
 * fold's training part get probability 0 for that fold's examples.
 * @param fold [n] fold index per example (`stratifiedFolds`)
 * @param excluded [n] 1 for examples never to train on (they are still predicted)
 * @returns [n * k] probabilities, rows in the set's order, columns in data.labels order
 */
export function outOfFoldProbabilities(data: TrainingSet | QuantisedTrainingSet, fold: Int32Array, options: TrainOptions, excluded?: Uint8Array): Float32Array {
  const { labelIndex, labels } = data;
  const n = labelIndex.length;
  const k = labels.length;
  if (fold.length !== n) throw new BadRequestError(`expected ${n} fold indices, got ${fold.length}`);
  const folds = n === 0 ? 0 : Math.max(...fold) + 1;
  const out = new Float32Array(n * k);
  for (let f = 0; f < folds; f++) {
    const trainRows: number[] = [];
    const testRows: number[] = [];
    for (let i = 0; i < n; i++) {
      if (fold[i] === f) testRows.push(i);
      else if (!excluded?.[i]) trainRows.push(i);
    }
    const present = [...new Set(trainRows.map((i) => labelIndex[i]))].sort((a, b) => a - b);
    if (testRows.length === 0 || present.length < 2) continue;
    const subset = { ...subsetRows(data, trainRows), labels: present.map((c) => labels[c]), labelIndex: Int32Array.from(trainRows, (i) => present.indexOf(labelIndex[i])) };
    const { head } = trainHead(subset, options);
    const p = predictHead(head, floatRows(data, testRows), testRows.length);
    const kp = present.length;
    testRows.forEach((i, r) => {
      for (let c = 0; c < kp; c++) out[i * k + present[c]] = p[r * kp + c];
    });
  }
  return out;
}

/** The chosen rows of a set, of the same kind (8-bit rows stay 8-bit: a 10k-example set is 13 MB, not 51). */
function subsetRows(data: TrainingSet | QuantisedTrainingSet, rows: number[]): Omit<TrainingSet, 'labels' | 'labelIndex'> | Omit<QuantisedTrainingSet, 'labels' | 'labelIndex'> {
  const d = data.embeddingSize;
  if (data.embeddings instanceof Float32Array) {
    const source = data.embeddings;
    const embeddings = new Float32Array(rows.length * d);
    rows.forEach((i, r) => embeddings.set(source.subarray(i * d, (i + 1) * d), r * d));
    return { embeddings, embeddingSize: d } as Omit<TrainingSet, 'labels' | 'labelIndex'>;
  }
  const source = data.embeddings;
  const out = allocateQuantisedRows(rows.length, d);
  rows.forEach((i, r) => {
    out.codes.set(source.codes.subarray(i * d, (i + 1) * d), r * d);
    out.offset[r] = source.offset[i];
    out.step[r] = source.step[i];
  });
  return { embeddings: out, embeddingSize: d };
}

function floatRows(data: TrainingSet | QuantisedTrainingSet, rows: number[]): Float32Array {
  const d = data.embeddingSize;
  const out = new Float32Array(rows.length * d);
  if (data.embeddings instanceof Float32Array) {
    const source = data.embeddings;
    rows.forEach((i, r) => out.set(source.subarray(i * d, (i + 1) * d), r * d));
  } else {
    const source = data.embeddings;
    rows.forEach((i, r) => dequantiseRowInto(source, i, out, r * d));
  }
  return out;
}

/**
 * The suspects among labelled examples, most suspect (highest contradicting probability) first.
 * @param probabilities [n * k] out-of-fold probabilities ({@link outOfFoldProbabilities})
 * @param labelIndex [n] the given labels
 */
export function findSuspects(probabilities: Float32Array, labelIndex: Int32Array, k: number, options: SuspectOptions = {}): Suspect[] {
  const n = labelIndex.length;
  if (probabilities.length !== n * k) throw new BadRequestError(`expected ${n} rows of ${k} probabilities, got ${probabilities.length}`);
  const minScore = options.minScore ?? 0.5;
  const sums = new Float64Array(k);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    sums[labelIndex[i]] += probabilities[i * k + labelIndex[i]];
    counts[labelIndex[i]]++;
  }
  const fraction = options.thresholdFraction ?? 0.5;
  const thresholds = Array.from(sums, (s, c) => (counts[c] > 0 ? (fraction * s) / counts[c] : 1));
  const suspects: Suspect[] = [];
  for (let i = 0; i < n; i++) {
    const given = labelIndex[i];
    const givenScore = probabilities[i * k + given];
    let best = -1;
    for (let c = 0; c < k; c++) {
      const p = probabilities[i * k + c];
      if (c === given || p < thresholds[c] || p < minScore || p <= givenScore) continue;
      if (best < 0 || p > probabilities[i * k + best]) best = c;
    }
    if (best >= 0) suspects.push({ index: i, label: best, score: probabilities[i * k + best], givenScore });
  }
  return suspects.sort((a, b) => b.score - a.score || a.index - b.index);
}
