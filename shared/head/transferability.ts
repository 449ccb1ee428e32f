/**
 * Scores of how well a backbone's embeddings suit a labelled set, before deploying anything: a training-free
 * score (leave-one-out nearest-neighbour accuracy) and the cross-validated accuracy of the linear head.
 */
import { BadRequestError } from '../errors.ts';
import { splitDraw } from './split.ts';
import { trainHead, type TrainingSet, type TrainOptions } from './train-head.ts';
import { predictHead } from './predict-head.ts';

/**
 * Leave-one-out 1-nearest-neighbour accuracy under cosine similarity: for each example, is its most similar
 * other example of the same label? Training-free; O(n^2 d).
 * @returns a fraction in [0, 1] (0 for fewer than 2 examples)
 */
export function leaveOneOutNearestNeighbour(data: TrainingSet): number {
  const { embeddings, embeddingSize: d, labelIndex } = data;
  const n = labelIndex.length;
  if (embeddings.length !== n * d) throw new BadRequestError(`embeddings have ${embeddings.length} values, expected ${n} x ${d}`);
  if (n < 2) return 0;
  // Centre on the mean first: ReLU embeddings are all positive, and raw cosine would be dominated by the mean.
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += embeddings[i * d + j] / n;
  const unit = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const v = embeddings[i * d + j] - mean[j];
      unit[i * d + j] = v;
      norm += v * v;
    }
    const inverse = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < d; j++) unit[i * d + j] *= inverse;
  }
  const best = new Float64Array(n).fill(-Infinity);
  const nearest = new Int32Array(n).fill(-1);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let s = 0;
      for (let j = 0, ra = a * d, rb = b * d; j < d; j++) s += unit[ra + j] * unit[rb + j];
      if (s > best[a]) [best[a], nearest[a]] = [s, b];
      if (s > best[b]) [best[b], nearest[b]] = [s, a];
    }
  }
  let hits = 0;
  for (let i = 0; i < n; i++) if (labelIndex[nearest[i]] === labelIndex[i]) hits++;
  return hits / n;
}

/**
 * Stratified k-fold assignment: within each label, examples ordered by a hash of (seed, key) are dealt to folds
 * round-robin, so every fold gets its share of every label and the assignment depends only on the keys.
 * @returns fold index per example, in [0, folds)
 */
export function stratifiedFolds(labelIndex: Int32Array, keys: string[], folds: number, seed: number): Int32Array {
  if (!(Number.isInteger(folds) && folds >= 2)) throw new BadRequestError(`folds must be an integer >= 2, got ${folds}`);
  const n = labelIndex.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (p, q) => labelIndex[p] - labelIndex[q] || splitDraw(seed, keys[p]) - splitDraw(seed, keys[q]) || p - q,
  );
  const fold = new Int32Array(n);
  // Dealing continues across labels, so the folds' sizes differ by at most one.
  let position = 0;
  for (const i of order) fold[i] = position++ % folds;
  return fold;
}

/**
 * Cross-validated accuracy of the linear head: train on k-1 folds, predict the held-out fold, pooled over all
 * examples. Folds whose training part lacks a label drop that label (the head cannot predict it).
 */
export function crossValidatedAccuracy(data: TrainingSet, fold: Int32Array, options: TrainOptions): number {
  const { embeddingSize: d, labelIndex, labels } = data;
  const n = labelIndex.length;
  const folds = Math.max(...fold) + 1;
  let hits = 0;
  for (let f = 0; f < folds; f++) {
    const trainRows: number[] = [];
    const testRows: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? testRows : trainRows).push(i);
    if (testRows.length === 0) continue;
    const present = [...new Set(trainRows.map((i) => labelIndex[i]))].sort((a, b) => a - b);
    const subset = (rows: number[]): TrainingSet => {
      const embeddings = new Float32Array(rows.length * d);
      rows.forEach((i, r) => embeddings.set(data.embeddings.subarray(i * d, (i + 1) * d), r * d));
      return { embeddings, embeddingSize: d, labels: present.map((c) => labels[c]), labelIndex: Int32Array.from(rows, (i) => Math.max(0, present.indexOf(labelIndex[i]))) };
    };
    if (present.length < 2) continue;
    const { head } = trainHead(subset(trainRows), options);
    const test = subset(testRows);
    const p = predictHead(head, test.embeddings, testRows.length);
    const k = present.length;
    testRows.forEach((i, r) => {
      let top = 0;
      for (let c = 1; c < k; c++) if (p[r * k + c] > p[r * k + top]) top = c;
      if (present[top] === labelIndex[i]) hits++;
    });
  }
  return hits / n;
}
