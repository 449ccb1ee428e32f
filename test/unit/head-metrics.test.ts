import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../shared/errors.ts';
import type { Head } from '../../shared/head/head-types.ts';
import { evaluateHead, formatMetrics } from '../../shared/head/metrics.ts';

/**
 * A head that predicts by the one-hot embedding: d = 3, k = 3, weights = 10 * identity, no standardisation,
 * so the embedding e_c is predicted as class c with probability e^10 / (e^10 + 2).
 */
const head: Head = {
  labels: ['ants', 'bees', 'wasps'],
  embeddingSize: 3,
  featureMean: new Float32Array(3),
  featureScale: Float32Array.from([1, 1, 1]),
  weights: Float32Array.from([10, 0, 0, 0, 10, 0, 0, 0, 10]),
  bias: new Float32Array(3),
  temperature: 1,
};

/** true label -> embedding of the predicted class, in data label order (deliberately not the head's order) */
function set(pairs: [truth: string, predicted: number][]) {
  const labels = ['wasps', 'ants', 'bees'];
  const embeddings = new Float32Array(pairs.length * 3);
  pairs.forEach(([, predicted], i) => (embeddings[i * 3 + predicted] = 1));
  return { embeddings, embeddingSize: 3, labels, labelIndex: Int32Array.from(pairs.map(([truth]) => labels.indexOf(truth))) };
}

describe('evaluateHead', () => {
  // ants: 3 right, 1 called bees; bees: 2 right; wasps: 1 right, 1 called ants, 1 called bees
  const data = set([
    ['ants', 0], ['ants', 0], ['ants', 0], ['ants', 1],
    ['bees', 1], ['bees', 1],
    ['wasps', 2], ['wasps', 0], ['wasps', 1],
  ]);

  it('computes accuracy, confusion and per-class precision/recall/F1 exactly', () => {
    const m = evaluateHead(head, data);
    expect(m.n).toBe(9);
    expect(m.accuracy).toBe(6 / 9);
    expect(m.confusion).toEqual([
      [3, 1, 0],
      [0, 2, 0],
      [1, 1, 1],
    ]);
    const [ants, bees, wasps] = m.perClass;
    expect(ants).toEqual({ label: 'ants', precision: 3 / 4, recall: 3 / 4, f1: 0.75, support: 4 });
    expect(bees.precision).toBe(2 / 4);
    expect(bees.recall).toBe(1);
    expect(bees.f1).toBeCloseTo(2 / 3, 12);
    expect(wasps).toEqual({ label: 'wasps', precision: 1, recall: 1 / 3, f1: 0.5, support: 3 });
    expect(m.balancedAccuracy).toBeCloseTo((3 / 4 + 1 + 1 / 3) / 3, 12);
    expect(m.macroF1).toBeCloseTo((0.75 + 2 / 3 + 0.5) / 3, 12);
  });

  it('computes the log loss from the true-class probabilities', () => {
    const m = evaluateHead(head, data);
    const pRight = Math.exp(10) / (Math.exp(10) + 2);
    const pWrong = 1 / (Math.exp(10) + 2);
    expect(m.logLoss).toBeCloseTo(-(6 * Math.log(pRight) + 3 * Math.log(pWrong)) / 9, 5);
  });

  it('gives 0 (never NaN) precision for a class that is never predicted and skips it in macro averages when absent', () => {
    const m = evaluateHead(head, set([['ants', 0], ['bees', 0]]));
    expect(m.perClass[1]).toEqual({ label: 'bees', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(m.perClass[2]).toEqual({ label: 'wasps', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(m.balancedAccuracy).toBe(0.5);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('rejects an empty set, a label the head lacks, and a size mismatch', () => {
    expect(() => evaluateHead(head, set([]))).toThrow(BadRequestError);
    expect(() => evaluateHead(head, { ...set([['ants', 0]]), labels: ['moths', 'ants', 'bees'] })).toThrow(/moths/);
    expect(() => evaluateHead(head, { ...set([['ants', 0]]), embeddingSize: 4 })).toThrow(/size 4/);
  });
});

describe('formatMetrics', () => {
  it('prints accuracy, the per-class table and the labelled confusion matrix', () => {
    const text = formatMetrics(evaluateHead(head, set([['ants', 0], ['ants', 1], ['bees', 1], ['wasps', 2]])), head.labels);
    expect(text).toContain('accuracy 0.7500 (3/4)');
    expect(text).toMatch(/ants\s+1\.0000\s+0\.5000\s+0\.6667\s+2/);
    expect(text).toMatch(/bees\s+0\.5000\s+1\.0000\s+0\.6667\s+1/);
    expect(text).toMatch(/true \\ predicted\s+ants\s+bees\s+wasps/);
    expect(text).toMatch(/\nants\s+1\s+1\s+0\n/);
    expect(text).toMatch(/\nwasps\s+0\s+0\s+1$/);
  });
});
