import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../shared/errors.ts';
import { stratifiedSplit } from '../../shared/head/split.ts';

interface Photo {
  label: string;
  key: string;
}

function photos(label: string, count: number, from = 0): Photo[] {
  return Array.from({ length: count }, (_, i) => ({ label, key: `${label}-${from + i}.jpg` }));
}

const options = { labelOf: (p: Photo) => p.label, keyOf: (p: Photo) => p.key, valFraction: 0.2, seed: 42 };

describe('stratifiedSplit', () => {
  it('holds out about valFraction of every label, whatever the imbalance', () => {
    const items = [...photos('ants', 1000), ...photos('bees', 200), ...photos('wasps', 50)];
    const { train, val } = stratifiedSplit(items, options);
    expect(train.length + val.length).toBe(items.length);
    for (const [label, count] of [['ants', 1000], ['bees', 200], ['wasps', 50]] as const) {
      const held = val.filter((p) => p.label === label).length;
      // binomial(count, 0.2): within ~3.5 standard deviations
      const sd = Math.sqrt(count * 0.2 * 0.8);
      expect(Math.abs(held - 0.2 * count)).toBeLessThan(3.5 * sd);
    }
    expect(new Set([...train, ...val]).size).toBe(items.length);
  });

  it('is deterministic, independent of input order, and depends on the seed', () => {
    const items = [...photos('ants', 100), ...photos('bees', 100)];
    const a = stratifiedSplit(items, options);
    const b = stratifiedSplit([...items].reverse(), options);
    expect(new Set(b.val.map((p) => p.key))).toEqual(new Set(a.val.map((p) => p.key)));
    expect(stratifiedSplit(items, options).val).toEqual(a.val);
    const other = stratifiedSplit(items, { ...options, seed: 43 });
    expect(other.val.map((p) => p.key)).not.toEqual(a.val.map((p) => p.key));
  });

  it('keeps existing items on their side when items are added', () => {
    const before = [...photos('ants', 60), ...photos('bees', 40)];
    const after = [...before, ...photos('ants', 30, 60), ...photos('bees', 50, 40), ...photos('wasps', 20)];
    const sideBefore = new Map<string, string>();
    const split = stratifiedSplit(before, options);
    for (const p of split.train) sideBefore.set(p.key, 'train');
    for (const p of split.val) sideBefore.set(p.key, 'val');
    const later = stratifiedSplit(after, options);
    const laterVal = new Set(later.val.map((p) => p.key));
    for (const [key, side] of sideBefore) expect(laterVal.has(key) ? 'val' : 'train', key).toBe(side);
  });

  it('keeps the input order on each side', () => {
    const items = photos('ants', 50).flatMap((p, i) => [p, { label: 'bees', key: `bees-${i}` }]);
    const { train, val } = stratifiedSplit(items, options);
    const position = new Map(items.map((p, i) => [p.key, i]));
    for (const side of [train, val]) {
      const positions = side.map((p) => position.get(p.key)!);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    }
  });

  it('puts at least one item of a 2+ item label on each side, and a single item in train', () => {
    for (let seed = 0; seed < 50; seed++) {
      const items = [...photos('pair', 2), ...photos('trio', 3), ...photos('solo', 1)];
      const { train, val } = stratifiedSplit(items, { ...options, seed, valFraction: 0.5 });
      for (const label of ['pair', 'trio']) {
        expect(val.some((p) => p.label === label)).toBe(true);
        expect(train.some((p) => p.label === label)).toBe(true);
      }
      expect(train.some((p) => p.label === 'solo')).toBe(true);
    }
  });

  it('keeps duplicate keys together', () => {
    const items = [...photos('ants', 40), ...photos('ants', 40)];
    const { val } = stratifiedSplit(items, options);
    const counts = new Map<string, number>();
    for (const p of val) counts.set(p.key, (counts.get(p.key) ?? 0) + 1);
    expect([...counts.values()].every((c) => c === 2)).toBe(true);
  });

  it('rejects a valFraction outside (0, 1)', () => {
    for (const valFraction of [0, 1, -0.1, Number.NaN]) {
      expect(() => stratifiedSplit(photos('a', 3), { ...options, valFraction })).toThrow(BadRequestError);
    }
  });
});
