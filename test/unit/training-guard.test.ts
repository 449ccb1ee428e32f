import { describe, expect, it } from 'vitest';
import { findForbiddenCodePoint, validateLabel, validateLabelFolders } from '../../shared/examples/label.ts';
import { binomialUpperTail, guardPromotion } from '../../shared/training/guard.ts';
import { isHoldout } from '../../shared/training/holdout.ts';

describe('guardPromotion (exact one-sided sign test on the paired holdout disagreements)', () => {
  it('computes exact binomial tails', () => {
    expect(binomialUpperTail(5, 5)).toBeCloseTo(1 / 32, 12);
    expect(binomialUpperTail(4, 5)).toBeCloseTo(6 / 32, 12);
    expect(binomialUpperTail(0, 7)).toBe(1);
    expect(binomialUpperTail(8, 7)).toBe(0);
    expect(binomialUpperTail(60, 100)).toBeCloseTo(0.028443966820490, 10);
  });

  it('refuses only regressions the holdout can resolve', () => {
    expect(guardPromotion({ servingOnly: 4, candidateOnly: 0 }).promote).toBe(true);
    const five = guardPromotion({ servingOnly: 5, candidateOnly: 0 });
    expect(five.promote).toBe(false);
    expect(five.pValue).toBeCloseTo(1 / 32, 12);
    expect(guardPromotion({ servingOnly: 8, candidateOnly: 1 }).promote).toBe(false);
    expect(guardPromotion({ servingOnly: 8, candidateOnly: 4 }).promote).toBe(true);
    expect(guardPromotion({ servingOnly: 0, candidateOnly: 0 })).toMatchObject({ promote: true, pValue: 1 });
    expect(guardPromotion({ servingOnly: 1, candidateOnly: 30 }).promote).toBe(true);
  });
});

describe('isHoldout', () => {
  it('is a stable share of ids', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => i.toString(16).padStart(64, '0'));
    const share = ids.filter((id) => isHoldout(id, 20)).length / ids.length;
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.22);
    expect(ids.map((id) => isHoldout(id, 20))).toEqual(ids.map((id) => isHoldout(id, 20)));
    // A larger share only adds examples to the holdout, never moves one out.
    expect(ids.filter((id) => isHoldout(id, 20)).every((id) => isHoldout(id, 30))).toBe(true);
  });
});

describe('validateLabel', () => {
  it('accepts words of any script and normalises to NFC', () => {
    expect(validateLabel('bees')).toBe('bees');
    expect(validateLabel('Ameise 2')).toBe('Ameise 2');
    expect(validateLabel('ｱﾘ')).toBe('ｱﾘ');
    expect(validateLabel('e\u0301té')).toBe('été');
    expect(validateLabel("o'neill-x_y.z")).toBe("o'neill-x_y.z");
  });

  it.each(['', ' bees', 'bees ', 'a/b', 'a\nb', '-x', 'x'.repeat(65), '..'])('refuses %j with 400 invalid_label', (label) => {
    expect(() => validateLabel(label)).toThrow(expect.objectContaining({ kind: 'bad_request', code: 'invalid_label' }));
  });
});

describe('validateLabel: invisible and reordering code points', () => {
  it.each([
    ['bee\u0000s', 'U+0000', 'control'],
    ['bee\u007fs', 'U+007F', 'control'],
    ['bee\u0085s', 'U+0085', 'control'],
    ['bees\u202e', 'U+202E', 'bidirectional'],
    ['bees\u2066x', 'U+2066', 'bidirectional'],
    ['be\u200ees', 'U+200E', 'bidirectional'],
    ['be\u200fes', 'U+200F', 'bidirectional'],
    ['be\u061ces', 'U+061C', 'bidirectional'],
    ['be\u200bes', 'U+200B', 'zero-width'],
    ['be\u200des', 'U+200D', 'zero-width'],
    ['be\u2060es', 'U+2060', 'zero-width'],
    ['\ufeffbees', 'U+FEFF', 'zero-width'],
    ['be\u00ades', 'U+00AD', 'format'],
  ])('refuses %j naming %s', (label, codePoint, kind) => {
    let message = '';
    try {
      validateLabel(label);
    } catch (error) {
      expect(error).toMatchObject({ kind: 'bad_request', code: 'invalid_label' });
      message = (error as Error).message;
    }
    expect(message).toContain(codePoint);
    expect(message).toContain(kind);
    expect(message).toContain('letters, digits');
  });

  it('finds nothing in ordinary labels of any script', () => {
    expect(findForbiddenCodePoint('été')).toBeUndefined();
    expect(findForbiddenCodePoint('نحل')).toBeUndefined();
    expect(findForbiddenCodePoint('ミツバチ')).toBeUndefined();
  });
});

describe('validateLabelFolders', () => {
  it('returns NFC labels and lists every bad folder in one error', () => {
    expect(validateLabelFolders(['e\u0301te\u0301', 'ants'])).toEqual(['été', 'ants']);
    let message = '';
    try {
      validateLabelFolders(['ants', 'be\u200bes', 'wasps\u202e', 'ok']);
    } catch (error) {
      expect(error).toMatchObject({ code: 'invalid_label' });
      message = (error as Error).message;
    }
    expect(message).toContain('2 label folder name(s)');
    expect(message).toContain('U+200B');
    expect(message).toContain('U+202E');
    expect(message).not.toContain('"ants"');
  });
});
