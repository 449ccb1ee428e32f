import { BadRequestError } from '../errors.ts';

export interface SplitOptions<T> {
  labelOf: (item: T) => string;
  /** A stable identity of the item, e.g. the photo's content hash; equal keys always land on the same side. */
  keyOf: (item: T) => string;
  /** Fraction of each label to hold out, in (0, 1). */
  valFraction: number;
  seed: number;
}

/**
 * Deterministic stratified split into training and validation items.
 *
 * Each item goes to validation when a hash of (seed, key) maps below valFraction, so an item's side depends
 * only on its own key: adding or removing other items never moves it (no leakage between retrainings), and
 * duplicate photos with the same key stay together. Per label this gives about valFraction in validation.
 * Small labels get two corrections: a label with >= 2 items keeps at least one item on each side (the one
 * with the lowest hash is forced into validation, or the highest into training), and a label with a single
 * item trains on it. Only these forced items can change side when more items of their label arrive.
 *
 * @returns both sides in the input order
 * @throws BadRequestError when valFraction is not in (0, 1) or seed is not finite
 */
export function stratifiedSplit<T>(items: T[], options: SplitOptions<T>): { train: T[]; val: T[] } {
  const { labelOf, keyOf, valFraction, seed } = options;
  if (!(valFraction > 0 && valFraction < 1)) throw new BadRequestError(`valFraction must be in (0, 1), got ${valFraction}`);
  if (!Number.isFinite(seed)) throw new BadRequestError(`seed must be a finite number, got ${seed}`);

  const draws = items.map((item) => splitDraw(seed, keyOf(item)));
  const inVal = draws.map((u) => u < valFraction);
  const byLabel = new Map<string, number[]>();
  items.forEach((item, i) => {
    const label = labelOf(item);
    const members = byLabel.get(label);
    if (members) members.push(i);
    else byLabel.set(label, [i]);
  });
  // Ties (equal keys) are broken by key then position, so the forced choice is deterministic too.
  const before = (a: number, b: number): boolean => {
    if (draws[a] !== draws[b]) return draws[a] < draws[b];
    const ka = keyOf(items[a]);
    const kb = keyOf(items[b]);
    return ka !== kb ? ka < kb : a < b;
  };
  for (const members of byLabel.values()) {
    if (members.length === 1) {
      inVal[members[0]] = false;
      continue;
    }
    let lowest = members[0];
    let highest = members[0];
    for (const i of members) {
      if (before(i, lowest)) lowest = i;
      if (before(highest, i)) highest = i;
    }
    const keyLowest = keyOf(items[lowest]);
    const keyHighest = keyOf(items[highest]);
    if (!members.some((i) => inVal[i])) {
      for (const i of members) if (keyOf(items[i]) === keyLowest) inVal[i] = true;
    }
    if (members.every((i) => inVal[i])) {
      for (const i of members) if (keyOf(items[i]) === keyHighest) inVal[i] = false;
    }
  }
  const train: T[] = [];
  const val: T[] = [];
  items.forEach((item, i) => (inVal[i] ? val : train).push(item));
  return { train, val };
}

/**
 * Uniform draw in [0, 1) from (seed, key): a 53-bit hash of the UTF-8 bytes of `${seed}:${key}` with two
 * multiply-xorshift lanes (cyrb53 style). Pure function, identical in every runtime.
 */
export function splitDraw(seed: number, key: string): number {
  const bytes = new TextEncoder().encode(`${seed}:${key}`);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const byte of bytes) {
    h1 = Math.imul(h1 ^ byte, 2654435761);
    h2 = Math.imul(h2 ^ byte, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return ((h2 >>> 0) * 2 ** 21 + ((h1 >>> 0) >>> 11)) / 2 ** 53;
}
