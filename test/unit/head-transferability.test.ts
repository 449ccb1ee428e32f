import { describe, expect, it } from 'vitest';
import { makeSyntheticSet } from '../../shared/head/synthetic-set.ts';
import { crossValidatedAccuracy, leaveOneOutNearestNeighbour, stratifiedFolds } from '../../shared/head/transferability.ts';

describe('transferability scores', () => {
  it('nearest-neighbour accuracy: 1 on far-apart clusters, near chance on pure noise, exact on a hand-made case', () => {
    const easy = makeSyntheticSet({ counts: [40, 40], embeddingSize: 64, seed: 1, separation: 2, noise: 0.2 });
    expect(leaveOneOutNearestNeighbour(easy)).toBe(1);
    const noise = makeSyntheticSet({ counts: [100, 100], embeddingSize: 64, seed: 2, separation: 0, noise: 0.5 });
    const chance = leaveOneOutNearestNeighbour(noise);
    expect(chance).toBeGreaterThan(0.35);
    expect(chance).toBeLessThan(0.65);
    // Four points on a line after centring: each one's nearest (by cosine) is the one on its side of the mean.
    const line = { embeddings: Float32Array.from([0, 1, 0, 1.2, 0, 3, 0, 3.3]), embeddingSize: 2, labelIndex: Int32Array.from([0, 0, 1, 0]), labels: ['a', 'b'] };
    expect(leaveOneOutNearestNeighbour(line)).toBe(0.5);
  });

  it('stratified folds: every fold gets its share of every label, and the assignment depends only on the keys', () => {
    const labelIndex = Int32Array.from([...new Array(10).fill(0), ...new Array(5).fill(1)]);
    const keys = Array.from({ length: 15 }, (_, i) => `photo-${i}`);
    const fold = stratifiedFolds(labelIndex, keys, 5, 42);
    for (let f = 0; f < 5; f++) {
      expect(labelIndex.filter((y, i) => y === 0 && fold[i] === f)).toHaveLength(2);
      expect(labelIndex.filter((y, i) => y === 1 && fold[i] === f)).toHaveLength(1);
    }
    const reversed = stratifiedFolds(Int32Array.from([...labelIndex].reverse()), [...keys].reverse(), 5, 42);
    expect([...reversed].reverse()).toEqual([...fold]);
    expect(() => stratifiedFolds(labelIndex, keys, 1, 42)).toThrow(/folds/);
  });

  it('cross-validated accuracy orders easy above hard data and stays near chance on noise', () => {
    const keysOf = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`);
    const easy = makeSyntheticSet({ counts: [30, 30], embeddingSize: 32, seed: 3, separation: 1 });
    const hard = makeSyntheticSet({ counts: [30, 30], embeddingSize: 32, seed: 3, separation: 0.12 });
    const noise = makeSyntheticSet({ counts: [30, 30], embeddingSize: 32, seed: 4, separation: 0 });
    const cv = (set: typeof easy) => crossValidatedAccuracy(set, stratifiedFolds(set.labelIndex, keysOf(60), 5, 1), { seed: 1 });
    const [a, b, c] = [cv(easy), cv(hard), cv(noise)];
    expect(a).toBeGreaterThan(0.95);
    expect(a).toBeGreaterThan(b);
    expect(c).toBeLessThan(0.75);
  });
});
