import { describe, expect, it } from 'vitest';
import { createRandom } from '../../shared/head/random.ts';
import { searchSuspects } from '../../shared/head/suspects.ts';
import { makeSyntheticSet } from '../../shared/head/synthetic-set.ts';

describe('suspect labels', () => {
  it('lists most deliberately flipped labels, and mostly flipped ones', () => {
    const set = makeSyntheticSet({ counts: [100, 100, 100], embeddingSize: 24, seed: 5, separation: 0.5 });
    const random = createRandom(9);
    const flipped = new Set<number>();
    // Flip 30 of class 1's examples to class 0 (bees uploaded as ants).
    const ofClass1 = [...set.labelIndex.keys()].filter((i) => set.labelIndex[i] === 1);
    while (flipped.size < 30) flipped.add(ofClass1[random.int(ofClass1.length)]);
    const labelIndex = Int32Array.from(set.labelIndex);
    for (const i of flipped) labelIndex[i] = 0;
    const noisy = { ...set, labelIndex };
    const { suspects } = searchSuspects(noisy, Array.from(labelIndex, (_, i) => `row-${i}`), { seed: 1 });
    const hits = suspects.filter((s) => flipped.has(s.index)).length;
    expect(hits / flipped.size).toBeGreaterThanOrEqual(0.8);
    expect(hits / suspects.length).toBeGreaterThanOrEqual(0.7);
    // Flipped examples are said to be what they really are, and the list is ordered most suspect first.
    for (const s of suspects.filter((x) => flipped.has(x.index))) expect(s.label).toBe(1);
    for (let i = 1; i < suspects.length; i++) expect(suspects[i - 1].score).toBeGreaterThanOrEqual(suspects[i].score);
  });

  it('flags nothing on clean, well separated labels', () => {
    const set = makeSyntheticSet({ counts: [100, 100], embeddingSize: 16, seed: 3, separation: 0.4 });
    const { suspects } = searchSuspects(set, Array.from(set.labelIndex, (_, i) => `r${i}`), { seed: 1 });
    expect(suspects.length).toBeLessThanOrEqual(2);
  });
});
