import { describe, expect, it } from 'vitest';
import { guardWithoutSuspects, heldBackReason, holdoutSuspectMask } from '../../shared/training/suspect-step.ts';

describe('the guard without suspect labels', () => {
  it('holds back a candidate that only wins on mislabelled holdout photos', () => {
    // 12 holdout photos: the first 6 carry wrong labels the candidate learned (it is "right" there, the serving
    // head is not); on the 6 correctly labelled ones the candidate is wrong where the serving head is right.
    const suspect = [true, true, true, true, true, true, false, false, false, false, false, false];
    const candidate = [true, true, true, true, true, true, false, false, false, false, false, false];
    const serving = [false, false, false, false, false, false, true, true, true, true, true, true];
    const clean = guardWithoutSuspects(serving, candidate, suspect)!;
    expect(clean).toMatchObject({ servingOnly: 6, candidateOnly: 0, excluded: 6, promote: false });
    expect(clean.pValue).toBeCloseTo(1 / 64, 12);
    expect(heldBackReason('h-1', clean)).toContain('without its 6 suspect labels: 6 examples lost vs 0 gained');
  });

  it('has no verdict of its own when no holdout photo is a suspect', () => {
    expect(guardWithoutSuspects([true], [false], [false])).toBeNull();
  });

  it('maps suspects onto holdout order', () => {
    const mask = holdoutSuspectMask(['a', 'b', 'c', 'd'], [{ id: 'c', given: 'x', label: 'y', score: 0.9 }], (id) => id !== 'b');
    expect(mask).toEqual([false, true, false]);
  });
});
