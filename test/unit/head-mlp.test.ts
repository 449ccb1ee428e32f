import { describe, expect, it } from 'vitest';
import { decodeHead, encodeHead } from '../../shared/head/head-codec.ts';
import { evaluateHead } from '../../shared/head/metrics.ts';
import { createRandom } from '../../shared/head/random.ts';
import { trainHead, type TrainingSet } from '../../shared/head/train-head.ts';
import { trainMlpHead } from '../../shared/head/train-mlp.ts';

/** label = (x0 > 0) xor (x1 > 0), plus noise features: no linear head can do better than chance. */
function xorSet(n: number, seed: number, d = 8): TrainingSet {
  const random = createRandom(seed);
  const embeddings = new Float32Array(n * d);
  const labelIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) embeddings[i * d + j] = random.uniform() * 2 - 1;
    labelIndex[i] = embeddings[i * d] > 0 !== embeddings[i * d + 1] > 0 ? 1 : 0;
  }
  return { embeddings, embeddingSize: d, labelIndex, labels: ['same', 'different'] };
}

describe('trainMlpHead', () => {
  const train = xorSet(400, 1);
  const stop = xorSet(100, 2);
  const test = xorSet(300, 3);

  it('learns what a linear head cannot (xor), and the hidden-layer head survives the codec', () => {
    const linear = evaluateHead(trainHead(train, { seed: 1 }).head, test).accuracy;
    const result = trainMlpHead(train, { seed: 1, hidden: 16, learningRate: 1e-2, validation: stop });
    const mlp = evaluateHead(result.head, test).accuracy;
    expect(linear).toBeLessThan(0.65);
    expect(mlp).toBeGreaterThan(0.9);
    const roundTrip = decodeHead(encodeHead(result.head));
    expect(evaluateHead(roundTrip, test).accuracy).toBe(mlp);
  });

  it('is deterministic under the seed, and differs with another seed', () => {
    const options = { hidden: 8, maxEpochs: 5, validation: stop };
    const a = encodeHead(trainMlpHead(train, { seed: 4, ...options }).head);
    const b = encodeHead(trainMlpHead(train, { seed: 4, ...options }).head);
    const c = encodeHead(trainMlpHead(train, { seed: 5, ...options }).head);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('stops early when the held-out loss stops improving, returning the best epoch', () => {
    // Labels unrelated to the features: the held-out loss only gets worse once the net starts memorising.
    const noise = { ...xorSet(200, 6), labelIndex: Int32Array.from({ length: 200 }, (_, i) => i % 2) };
    const result = trainMlpHead(noise, { seed: 1, hidden: 32, learningRate: 1e-2, patience: 3, maxEpochs: 100, validation: { ...stop, labelIndex: Int32Array.from({ length: 100 }, (_, i) => (i * 7) % 2) } });
    expect(result.epochs).toBeLessThan(100);
    expect(result.epochs - result.bestEpoch).toBe(3);
  });

  it('refuses a validation set that does not match', () => {
    expect(() => trainMlpHead(train, { seed: 1, validation: { ...stop, labels: ['a', 'b'] } })).toThrow(/validation set/);
  });
});
