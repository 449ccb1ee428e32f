import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../shared/errors.ts';
import { encodeHead } from '../../shared/head/head-codec.ts';
import { evaluateHead } from '../../shared/head/metrics.ts';
import { predictHead } from '../../shared/head/predict-head.ts';
import { createRandom } from '../../shared/head/random.ts';
import { makeSyntheticSet } from '../../shared/head/synthetic-set.ts';
import { trainHead, type TrainingSet } from '../../shared/head/train-head.ts';

/** Train and test samples of the same 5-class distribution in 1280 dimensions. */
const clusters = { embeddingSize: 1280, structureSeed: 11, separation: 0.1, labels: ['a', 'b', 'c', 'd', 'e'] };
const train = makeSyntheticSet({ ...clusters, counts: [60, 60, 60, 60, 60], seed: 1 });
const test = makeSyntheticSet({ ...clusters, counts: [40, 40, 40, 40, 40], seed: 2 });

function pick(data: TrainingSet, rows: number[], labels = data.labels): TrainingSet {
  const d = data.embeddingSize;
  const embeddings = new Float32Array(rows.length * d);
  rows.forEach((row, r) => embeddings.set(data.embeddings.subarray(row * d, (row + 1) * d), r * d));
  return {
    embeddings,
    embeddingSize: d,
    labels,
    labelIndex: Int32Array.from(rows, (row) => labels.indexOf(data.labels[data.labelIndex[row]])),
  };
}

function rowsWithLabels(data: TrainingSet, labels: string[]): number[] {
  return [...data.labelIndex.keys()].filter((i) => labels.includes(data.labels[data.labelIndex[i]]));
}

describe('trainHead', () => {
  it('separates Gaussian clusters in 1280 dimensions', () => {
    const result = trainHead(train, { seed: 1 });
    expect(result.converged).toBe(true);
    expect(result.finalLoss).toBeLessThan(result.initialLoss);
    expect(result.initialLoss).toBeCloseTo(Math.log(5), 12);
    expect(result.head.labels).toEqual(clusters.labels);
    expect(evaluateHead(result.head, train).accuracy).toBe(1);
    expect(evaluateHead(result.head, test).accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('is bit-for-bit deterministic and independent of the order of the examples', () => {
    const first = encodeHead(trainHead(train, { seed: 7 }).head);
    expect(encodeHead(trainHead(train, { seed: 7 }).head)).toEqual(first);
    const shuffled = [...train.labelIndex.keys()];
    const random = createRandom(99);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    expect(encodeHead(trainHead(pick(train, shuffled), { seed: 7 }).head)).toEqual(first);
  });

  it('measurably raises the recall of a rare class with balanced class weights', () => {
    const imbalanced = { embeddingSize: 128, structureSeed: 5, separation: 0.2, labels: ['common', 'rare'] };
    const trainSet = makeSyntheticSet({ ...imbalanced, counts: [400, 20], seed: 1 });
    const testSet = makeSyntheticSet({ ...imbalanced, counts: [300, 300], seed: 2 });
    const balanced = evaluateHead(trainHead(trainSet, { seed: 1 }).head, testSet);
    const unweighted = evaluateHead(trainHead(trainSet, { seed: 1, classWeighting: 'none' }).head, testSet);
    expect(balanced.perClass[1].recall).toBeGreaterThan(unweighted.perClass[1].recall + 0.15);
    expect(balanced.balancedAccuracy).toBeGreaterThan(unweighted.balancedAccuracy + 0.05);
  });

  it('warm-starts from a head with fewer labels and learns the new one', () => {
    const oldLabels = ['a', 'b', 'c'];
    const old = trainHead(pick(train, rowsWithLabels(train, oldLabels), oldLabels), { seed: 1 }).head;
    const labels = ['c', 'e', 'a', 'b']; // a new label, a dropped one ('d'), another order
    const result = trainHead(pick(train, rowsWithLabels(train, labels), labels), { seed: 1, initial: old });
    expect(result.converged).toBe(true);
    expect(result.head.labels).toEqual(labels);
    const metrics = evaluateHead(result.head, pick(test, rowsWithLabels(test, labels), labels));
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(metrics.perClass[1]).toMatchObject({ label: 'e' });
    expect(metrics.perClass[1].recall).toBeGreaterThanOrEqual(0.9);
  });

  it('starts a warm start exactly where the initial head is, even when the standardisation changes', () => {
    const labels = ['a', 'b'];
    const old = trainHead(pick(train, rowsWithLabels(train, labels).slice(0, 80), labels), { seed: 1 }).head;
    const newer = pick(train, rowsWithLabels(train, labels), labels);
    const result = trainHead(newer, { seed: 1, initial: old, l2: 0, maxIterations: 1 });
    // With l2 = 0 the objective is the (balanced = plain, 60/60) mean cross-entropy of the initial head's predictions.
    const p = predictHead(old, newer.embeddings);
    let crossEntropy = 0;
    newer.labelIndex.forEach((y, i) => (crossEntropy -= Math.log(p[i * 2 + y])));
    expect(result.initialLoss).toBeCloseTo(crossEntropy / newer.labelIndex.length, 5);
  });

  it('needs only a few iterations when warm-started from its own solution', () => {
    const cold = trainHead(train, { seed: 1 });
    const warm = trainHead(train, { seed: 1, initial: cold.head });
    expect(warm.converged).toBe(true);
    expect(warm.iterations).toBeLessThanOrEqual(3);
    expect(cold.iterations).toBeGreaterThan(10);
  });

  it('stops when the deadline passes, with a usable head', () => {
    const expired = trainHead(train, { seed: 1, deadline: () => true });
    expect(expired).toMatchObject({ stopReason: 'deadline', converged: false, iterations: 1 });
    expect(expired.finalLoss).toBeLessThan(expired.initialLoss);
    let polls = 0;
    const budgeted = trainHead(train, { seed: 1, deadline: () => ++polls > 5 });
    expect(budgeted.stopReason).toBe('deadline');
    expect(budgeted.iterations).toBeGreaterThan(1);
    expect(budgeted.iterations).toBeLessThan(trainHead(train, { seed: 1 }).iterations);
  });

  it('stops deterministically after maxEvaluations passes over the data', () => {
    const first = trainHead(train, { seed: 1, maxEvaluations: 8 });
    expect(first).toMatchObject({ stopReason: 'max_evaluations', converged: false, evaluations: 8 });
    expect(first.finalLoss).toBeLessThan(first.initialLoss);
    expect(encodeHead(trainHead(train, { seed: 1, maxEvaluations: 8 }).head)).toEqual(encodeHead(first.head));
  });

  it('stops at maxIterations', () => {
    const result = trainHead(train, { seed: 1, maxIterations: 3 });
    expect(result).toMatchObject({ iterations: 3, stopReason: 'max_iterations', converged: false });
  });

  it('handles constant features and a label with a single example without NaN', () => {
    const d = 6;
    const embeddings = Float32Array.from([
      1, 0, 2, 3, 0.5, 0,
      1, 0, 2, 3, 0.7, 1,
      1, 0, 2, 3, 0.6, 0,
      1, 0, 2, 3, 4.0, 6,
    ]);
    const data = { embeddings, embeddingSize: d, labelIndex: Int32Array.from([0, 0, 0, 1]), labels: ['many', 'one'] };
    const { head, converged } = trainHead(data, { seed: 1 });
    expect(converged).toBe(true);
    expect(Array.from(head.featureScale.subarray(0, 4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(head.weights.subarray(0, 4 * 2))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const p = predictHead(head, embeddings);
    expect(p.every(Number.isFinite)).toBe(true);
    expect(evaluateHead(head, data).accuracy).toBe(1);
  });

  it('rejects invalid training input with a clear BadRequestError', () => {
    const two = pick(train, [0, 1, 60, 61], train.labels);
    const small = { ...two, labels: ['a', 'b'], labelIndex: Int32Array.from([0, 0, 1, 1]) };
    const cases: [TrainingSet, RegExp][] = [
      [{ ...small, labels: ['a'], labelIndex: new Int32Array(4) }, /at least 2 labels/],
      [{ ...small, embeddings: small.embeddings.subarray(1) }, /embeddings have 5119 values/],
      [{ ...small, labelIndex: Int32Array.from([0, 0, 1, 2]) }, /labelIndex\[3\] is 2/],
      [{ ...small, labels: ['a', 'b', 'c'] }, /none for "c"/],
      [{ ...small, labels: ['a', 'a'] }, /twice/],
      [{ ...small, embeddings: small.embeddings.map((v, i) => (i === 1300 ? Number.NaN : v)) }, /embedding 1 .* index 20/],
    ];
    for (const [data, message] of cases) {
      expect(() => trainHead(data, { seed: 1 })).toThrow(BadRequestError);
      expect(() => trainHead(data, { seed: 1 })).toThrow(message);
    }
    expect(() => trainHead(small, { seed: 1, l2: -1 })).toThrow(/l2/);
    const otherBackbone = { ...trainHead(small, { seed: 1 }).head, embeddingSize: 1024 };
    expect(() => trainHead(small, { seed: 1, initial: otherBackbone })).toThrow(/backbone/);
  });
});
