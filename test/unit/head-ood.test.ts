import { describe, expect, it } from 'vitest';
import { InvalidModelError } from '../../shared/errors.ts';
import { calibrateHead } from '../../shared/head/calibrate-head.ts';
import { decodeHead, encodeHead } from '../../shared/head/head-codec.ts';
import { fitOodThreshold, oodScores, rocAuc } from '../../shared/head/ood.ts';
import { predictHead, rankPredictions } from '../../shared/head/predict-head.ts';
import { createRandom, type Random } from '../../shared/head/random.ts';
import { trainHead, type TrainingSet } from '../../shared/head/train-head.ts';
import { decide } from '../../shared/head/unknown.ts';

const D = 48;
const LABELS = ['a', 'b', 'c'];

/** A shared anisotropic noise: a few strong directions plus weak isotropic noise, like backbone features. */
function noiseMaker(random: Random) {
  const loadings = Array.from({ length: 4 }, () => Float64Array.from({ length: D }, () => random.normal()));
  return (): Float64Array => {
    const x = Float64Array.from({ length: D }, () => 0.3 * random.normal());
    for (const l of loadings) {
      const s = random.normal();
      for (let j = 0; j < D; j++) x[j] += s * l[j];
    }
    return x;
  };
}

function cluster(random: Random, mean: Float64Array, n: number, noise: () => Float64Array): Float32Array {
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const e = noise();
    for (let j = 0; j < D; j++) out[i * D + j] = 5 + mean[j] + e[j];
  }
  return out;
}

function setOf(parts: Float32Array[], perClass: number): TrainingSet {
  const embeddings = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) (embeddings.set(p, at), (at += p.length));
  const labelIndex = Int32Array.from({ length: parts.length * perClass }, (_, i) => Math.floor(i / perClass));
  return { embeddings, embeddingSize: D, labelIndex, labels: LABELS };
}

function fixture() {
  const random = createRandom(11);
  const noise = noiseMaker(random);
  const means = LABELS.map(() => Float64Array.from({ length: D }, () => 1.5 * random.normal()));
  const train = setOf(means.map((m) => cluster(random, m, 120, noise)), 120);
  const val = setOf(means.map((m) => cluster(random, m, 60, noise)), 60);
  const test = setOf(means.map((m) => cluster(random, m, 100, noise)), 100);
  // Off-topic photos: a cluster centred elsewhere, as far from the classes as they are from one another.
  const farMean = Float64Array.from({ length: D }, () => 1.5 * random.normal());
  const far = cluster(random, farMean, 200, noise);
  const head = trainHead(train, { seed: 1 }).head;
  const { head: calibrated, summary } = calibrateHead(head, val, { rows: train.embeddings, labelIndex: train.labelIndex });
  return { train, val, test, far, calibrated, summary };
}

describe('out-of-distribution score', () => {
  const { test, far, calibrated, summary } = fixture();

  it('flags a cluster the head never saw and few in-domain examples', () => {
    const inDomain = oodScores(calibrated, test.embeddings, test.labelIndex.length);
    const outside = oodScores(calibrated, far, far.length / D);
    const threshold = calibrated.ood!.threshold;
    const flaggedIn = inDomain.filter((s) => s > threshold).length / inDomain.length;
    const flaggedOut = outside.filter((s) => s > threshold).length / outside.length;
    expect(flaggedOut).toBeGreaterThanOrEqual(0.9);
    expect(flaggedIn).toBeLessThanOrEqual(0.05);
    expect(rocAuc(inDomain, outside)).toBeGreaterThan(0.98);
    // In-domain scores are about 1 by construction (a squared distance per dimension).
    const median = Float64Array.from(inDomain).sort()[Math.floor(inDomain.length / 2)];
    expect(median).toBeGreaterThan(0.5);
    expect(median).toBeLessThan(2);
    expect(summary.ood).toEqual({ rank: calibrated.ood!.rank, threshold, quantile: 0.99 });
  });

  it('answers label null with reason out_of_distribution, and keeps in-domain answers', () => {
    const probabilities = predictHead(calibrated, far.subarray(0, D), 1);
    const ranked = rankPredictions(calibrated, probabilities.subarray(0, LABELS.length));
    const score = oodScores(calibrated, far.subarray(0, D), 1)[0];
    const decision = decide(calibrated, ranked, 0, null, score);
    expect(decision).toMatchObject({ label: null, reason: 'out_of_distribution', ood: { score, threshold: calibrated.ood!.threshold } });
    const inside = test.embeddings.subarray(0, D);
    const insideRanked = rankPredictions(calibrated, predictHead(calibrated, inside, 1));
    const insideDecision = decide(calibrated, insideRanked, 0, null, oodScores(calibrated, inside, 1)[0]);
    expect(insideDecision.label).toBe('a');
    // A head without OOD statistics (an older head) simply has no OOD check and no ood field.
    const old = { ...calibrated, ood: undefined };
    expect(decide(old, ranked, 0, null, score)).not.toHaveProperty('ood');
  });

  it('round-trips through the version-3 codec and rejects a corrupt rank', () => {
    const bytes = encodeHead(calibrated);
    expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(3);
    const decoded = decodeHead(bytes);
    expect(encodeHead(decoded)).toEqual(bytes);
    expect(Math.abs(oodScores(decoded, far, 1)[0] - oodScores(calibrated, far, 1)[0])).toBeLessThan(1e-6 * oodScores(calibrated, far, 1)[0]);
    const withoutOod = encodeHead({ ...calibrated, ood: undefined });
    expect(new DataView(withoutOod.buffer).getUint16(4, true)).toBe(2);
    const corrupt = bytes.slice();
    const rankAt = bytes.length - 4 - 4 * (3 + calibrated.ood!.rank * (1 + D) + LABELS.length * (D + calibrated.ood!.rank));
    new DataView(corrupt.buffer).setUint32(rankAt, calibrated.ood!.rank + 1, true);
    expect(() => decodeHead(corrupt)).toThrow(InvalidModelError);
  });

  it('takes the threshold at a quantile of held-out scores', () => {
    expect(fitOodThreshold([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(fitOodThreshold([1, 2, 3, 4, 5], 0.99)).toBeCloseTo(4.96, 10);
    expect(rocAuc([1, 2], [3, 4])).toBe(1);
    expect(rocAuc([1, 3], [2, 4])).toBe(0.75);
  });
  it('cross-fits the OOD threshold on the training rows when the held-out set lacks a label (the cron with a new label)', () => {
    const { train, val } = fixture();
    // Val without label c, as a retraining holdout that drew no example of a new label.
    const keep = Array.from(val.labelIndex.keys()).filter((i) => val.labelIndex[i] !== 2);
    const partial: TrainingSet = { ...val, embeddings: Float32Array.from(keep.flatMap((i) => Array.from(val.embeddings.subarray(i * D, (i + 1) * D)))), labelIndex: Int32Array.from(keep, (i) => val.labelIndex[i]) };
    const { head: crossFitted, summary: crossSummary } = calibrateHead(calibrated, partial, { rows: train.embeddings, labelIndex: train.labelIndex });
    expect(crossSummary.ood?.crossFitted).toBe(true);
    expect(crossFitted.thresholds![2]).toBe(0);
    const threshold = crossFitted.ood!.threshold;
    // Near the threshold a full held-out set gives, and it still separates.
    expect(threshold / calibrated.ood!.threshold).toBeGreaterThan(0.7);
    expect(threshold / calibrated.ood!.threshold).toBeLessThan(1.5);
    const inDomain = oodScores(crossFitted, test.embeddings, test.labelIndex.length);
    const outside = oodScores(crossFitted, far, far.length / D);
    expect(outside.filter((s) => s > threshold).length / outside.length).toBeGreaterThanOrEqual(0.9);
    expect(inDomain.filter((s) => s > threshold).length / inDomain.length).toBeLessThanOrEqual(0.05);
    // Two rows per example (plain + flipped view, as the cron keeps them): both views stay in one fold.
    const doubled = new Float32Array(2 * train.embeddings.length);
    for (let i = 0; i < train.labelIndex.length; i++) {
      doubled.set(train.embeddings.subarray(i * D, (i + 1) * D), 2 * i * D);
      doubled.set(train.embeddings.subarray(i * D, (i + 1) * D), (2 * i + 1) * D);
    }
    const labelsTwice = Int32Array.from({ length: 2 * train.labelIndex.length }, (_, r) => train.labelIndex[r >> 1]);
    const twice = calibrateHead(calibrated, partial, { rows: doubled, labelIndex: labelsTwice, rowsPerExample: 2 });
    expect(twice.head.ood!.threshold / threshold).toBeGreaterThan(0.8);
    expect(twice.head.ood!.threshold / threshold).toBeLessThan(1.25);
    // Too few examples of a label to leave a fold out: no OOD check rather than a wrong one.
    const tiny: TrainingSet = { ...train, embeddings: train.embeddings.subarray(0, 241 * D), labelIndex: train.labelIndex.subarray(0, 241) }; // one example of c
    expect(calibrateHead(calibrated, partial, { rows: tiny.embeddings, labelIndex: tiny.labelIndex }).head.ood).toBeUndefined();
  });
});
