import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../shared/errors.ts';
import type { Head } from '../../shared/head/head-types.ts';
import { predictHead, rankPredictions } from '../../shared/head/predict-head.ts';

/** d = 2, k = 3, with a non-trivial standardisation. */
const tiny: Head = {
  labels: ['cat', 'dog', 'fox'],
  embeddingSize: 2,
  featureMean: Float32Array.from([1, 2]),
  featureScale: Float32Array.from([0.5, 2]),
  // row-major [d][k]
  weights: Float32Array.from([1, -1, 0, 0.5, 0.25, -2]),
  bias: Float32Array.from([0, 0.5, -0.5]),
  temperature: 1,
};

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

describe('predictHead', () => {
  it('matches a hand computation on a tiny head', () => {
    // x = (3, 1): z = ((3-1)*0.5, (1-2)*2) = (1, -2)
    // logits = z . W + b = (1*1 + -2*0.5 + 0, 1*-1 + -2*0.25 + 0.5, 1*0 + -2*-2 - 0.5) = (0, -1, 3.5)
    const p = predictHead(tiny, Float32Array.from([3, 1]));
    const expected = softmax([0, -1, 3.5]);
    expect(p).toHaveLength(3);
    p.forEach((v, c) => expect(v).toBeCloseTo(expected[c], 6));
  });

  it('divides logits by the temperature', () => {
    const p = predictHead({ ...tiny, temperature: 2 }, Float32Array.from([3, 1]));
    const expected = softmax([0, -0.5, 1.75]);
    p.forEach((v, c) => expect(v).toBeCloseTo(expected[c], 6));
  });

  it('returns rows that sum to 1 for a batch, even with huge logits', () => {
    const huge: Head = { ...tiny, weights: tiny.weights.map((w) => w * 1e6) };
    const batch = Float32Array.from([3, 1, 0, 0, 6, 6, -50, 1e4]);
    for (const head of [tiny, huge]) {
      const p = predictHead(head, batch, 4);
      expect(p).toHaveLength(12);
      for (let i = 0; i < 4; i++) {
        const row = Array.from(p.subarray(i * 3, i * 3 + 3));
        expect(row.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      }
    }
  });

  it('rejects a batch whose length is not n * embeddingSize, and non-finite values', () => {
    expect(() => predictHead(tiny, new Float32Array(3))).toThrow(BadRequestError);
    expect(() => predictHead(tiny, new Float32Array(4), 3)).toThrow(/n = 3/);
    expect(() => predictHead(tiny, Float32Array.from([1, Number.NaN]))).toThrow(/non-finite/);
  });
});

describe('rankPredictions', () => {
  it('sorts by score descending and breaks ties by label', () => {
    const ranked = rankPredictions(tiny, Float32Array.from([0.25, 0.5, 0.25]));
    expect(ranked).toEqual([
      { label: 'dog', score: 0.5 },
      { label: 'cat', score: 0.25 },
      { label: 'fox', score: 0.25 },
    ]);
    expect(rankPredictions(tiny, Float32Array.from([0.25, 0.25, 0.5]), 2).map((p) => p.label)).toEqual(['fox', 'cat']);
  });

  it('rejects a row of the wrong length or a bad topK', () => {
    expect(() => rankPredictions(tiny, new Float32Array(2))).toThrow(BadRequestError);
    expect(() => rankPredictions(tiny, new Float32Array(3), 0)).toThrow(/topK/);
  });
});
