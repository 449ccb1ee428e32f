import { describe, expect, it } from 'vitest';
import { decodeHead, encodeHead } from '../../shared/head/head-codec.ts';
import type { Head } from '../../shared/head/head-types.ts';
import { calibrationReport, fitTemperature, meanNll } from '../../shared/head/calibration.ts';
import { headLogits, predictHead, rankPredictions } from '../../shared/head/predict-head.ts';
import { createRandom } from '../../shared/head/random.ts';
import { chooseThresholds, decide } from '../../shared/head/unknown.ts';
import { majorityBaseline, transferWarning } from '../../shared/head/transfer.ts';

/** Labels drawn from softmax(z) of known logits z: a perfectly calibrated model at temperature 1. */
function calibratedSample(n: number, k: number, seed: number) {
  const random = createRandom(seed);
  const logits = new Float64Array(n * k);
  const labelIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    const p = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      logits[i * k + c] = 2 * random.normal();
      p[c] = Math.exp(logits[i * k + c]);
      sum += p[c];
    }
    let u = random.uniform() * sum;
    let y = 0;
    while (y < k - 1 && u > p[y]) u -= p[y++];
    labelIndex[i] = y;
  }
  return { logits, labelIndex };
}

function softmaxRows(logits: Float64Array, k: number, beta: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length / k; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, beta * logits[i * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(beta * logits[i * k + c] - max);
    for (let c = 0; c < k; c++) out[i * k + c] = Math.exp(beta * logits[i * k + c] - max) / sum;
  }
  return out;
}

describe('temperature scaling and ECE', () => {
  it('recovers the temperature that undoes over- and under-confidence', () => {
    const k = 3;
    const { logits, labelIndex } = calibratedSample(4000, k, 11);
    for (const t of [0.25, 1, 3]) {
      // The model reports logits * t (t > 1: overconfident); the fitted temperature must undo it: about t.
      const reported = logits.map((z) => z * t);
      const fitted = fitTemperature(reported, labelIndex, k);
      expect(fitted).toBeGreaterThan(t * 0.9);
      expect(fitted).toBeLessThan(t * 1.1);
      // ...and it is the minimum of the NLL in 1/T.
      const best = meanNll(reported, labelIndex, k, 1 / fitted);
      expect(best).toBeLessThanOrEqual(meanNll(reported, labelIndex, k, 1.05 / fitted));
      expect(best).toBeLessThanOrEqual(meanNll(reported, labelIndex, k, 0.95 / fitted));
    }
  });

  it('measures ECE: near 0 when calibrated, large when overconfident, and bins that add up', () => {
    const k = 3;
    const { logits, labelIndex } = calibratedSample(4000, k, 12);
    const calibrated = calibrationReport(softmaxRows(logits, k, 1), labelIndex, k);
    const overconfident = calibrationReport(softmaxRows(logits, k, 4), labelIndex, k);
    expect(calibrated.ece).toBeLessThan(0.03);
    expect(overconfident.ece).toBeGreaterThan(0.1);
    expect(calibrated.bins).toHaveLength(10);
    expect(calibrated.bins.reduce((s, b) => s + b.count, 0)).toBe(4000);
    // Top-1 confidence of 3 classes is at least 1/3: the first three bins are empty.
    expect(calibrated.bins.slice(0, 3).every((b) => b.count === 0)).toBe(true);
    const manual = calibrated.bins.reduce((s, b) => s + (b.count / 4000) * Math.abs(b.accuracy - b.confidence), 0);
    expect(calibrated.ece).toBeCloseTo(manual, 12);
  });

  it('computes ECE by hand on a tiny case', () => {
    // Two predictions at 0.95 (one right), two at 0.65 (both right): |0.5 - 0.95| * 0.5 + |1 - 0.65| * 0.5 = 0.4.
    const p = Float32Array.from([0.95, 0.05, 0.05, 0.95, 0.65, 0.35, 0.35, 0.65]);
    const report = calibrationReport(p, Int32Array.from([0, 0, 0, 1]), 2);
    expect(report.ece).toBeCloseTo(0.4, 6);
    expect(report.bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(report.bins[6]).toMatchObject({ count: 2, accuracy: 1 });
  });
});

describe('unknown thresholds and the classify decision', () => {
  it('puts the threshold between confident hits and less confident mistakes, and keeps 0 when mistakes are confident', () => {
    // label 0: hits at 0.9, 0.95, 0.99, mistakes (true label 1) at 0.6, 0.7 -> threshold 0.9 gives F1 1.
    // label 1: hits at 0.8, 0.85, one confident mistake at 0.97 -> no threshold helps, stays 0.
    const rows: [number, number][] = [[0.9, 0], [0.95, 0], [0.99, 0], [0.6, 1], [0.7, 1], [0.2, 1], [0.15, 1], [0.03, 0]];
    const p = Float32Array.from(rows.flatMap(([p0]) => [p0, 1 - p0]));
    const y = Int32Array.from(rows.map(([, label]) => label));
    const thresholds = chooseThresholds(p, y, 2);
    expect(thresholds[0]).toBeCloseTo(0.9, 6);
    expect(thresholds[1]).toBe(0);
  });

  it('decides: the label, null below the threshold, null for the background label', () => {
    const head = { labels: ['cat', 'dog', 'other'], thresholds: Float32Array.from([0.8, 0.5, 0]) } as Head;
    const ranked = (scores: number[]) => rankPredictions({ ...head, embeddingSize: 1 } as Head, Float32Array.from(scores));
    expect(decide(head, ranked([0.7, 0.2, 0.1]))).toEqual({ label: null, score: expect.closeTo(0.7, 6), threshold: expect.closeTo(0.8, 6), reason: 'below_threshold', candidate: 'cat' });
    expect(decide(head, ranked([0.2, 0.7, 0.1]))).toMatchObject({ label: 'dog', threshold: 0.5 });
    expect(decide(head, ranked([0.7, 0.2, 0.1]), 0.6)).toMatchObject({ label: 'cat', threshold: 0.6 });
    expect(decide(head, ranked([0.1, 0.1, 0.8]), 0, 'other')).toMatchObject({ label: null, reason: 'background', candidate: 'other' });
    expect(decide({ ...head, thresholds: undefined }, ranked([0.4, 0.35, 0.25]))).toMatchObject({ label: 'cat', threshold: 0 });
  });
});

describe('negative-transfer check', () => {
  it('measures the majority baseline on the evaluation labels', () => {
    expect(majorityBaseline([0, 0, 1], [0, 1, 1, 1])).toBe(0.25);
    expect(majorityBaseline([1, 1, 0], [0, 1, 1, 1])).toBe(0.75);
  });

  it('warns when the head barely beats the majority label or loses to colour histograms', () => {
    expect(transferWarning(0.97, 0.5, 0.6, 'bb')).toBeNull();
    expect(transferWarning(0.6, 0.5, 0.55, 'bb')).toMatch(/^weak transfer/);
    expect(transferWarning(0.8, 0.5, 0.85, 'bb')).toMatch(/^negative transfer.*colour/);
    expect(transferWarning(0.92, 0.9, null, 'bb')).toMatch(/barely above always answering the most common label \(90.0%\)/);
  });
});

describe('head format version 2', () => {
  function head(d: number, k: number, hidden = 0): Head {
    const random = createRandom(5);
    const inputs = hidden || d;
    const h: Head = {
      labels: Array.from({ length: k }, (_, c) => `l${c}`),
      embeddingSize: d,
      featureMean: Float32Array.from({ length: d }, () => random.normal()),
      featureScale: Float32Array.from({ length: d }, () => 0.5 + random.uniform()),
      weights: Float32Array.from({ length: inputs * k }, () => random.normal()),
      bias: Float32Array.from({ length: k }, () => random.normal()),
      temperature: 1.5,
    };
    if (hidden) h.hidden = { size: hidden, weights: Float32Array.from({ length: d * hidden }, () => random.normal()), bias: Float32Array.from({ length: hidden }, () => random.normal()) };
    return h;
  }

  it('writes plain linear heads as version 1 and heads with thresholds or a hidden layer as version 2, both round-trip', () => {
    const plain = head(8, 3);
    expect(encodeHead(plain)[4]).toBe(1);
    const withThresholds = { ...plain, thresholds: Float32Array.from([0.5, 0, 1]) };
    const bytes = encodeHead(withThresholds);
    expect(bytes[4]).toBe(2);
    expect(bytes.length).toBe(encodeHead(plain).length + 12);
    expect(decodeHead(bytes).thresholds).toEqual(withThresholds.thresholds);
    expect(encodeHead(decodeHead(bytes))).toEqual(bytes);
    const mlp = { ...head(8, 3, 5), thresholds: Float32Array.from([0.1, 0.2, 0.3]) };
    const mlpBytes = encodeHead(mlp);
    const decoded = decodeHead(mlpBytes);
    expect(decoded.hidden?.size).toBe(5);
    expect(decoded.hidden?.weights).toEqual(mlp.hidden!.weights);
    expect(encodeHead(decoded)).toEqual(mlpBytes);
  });

  it('refuses thresholds outside [0, 1] and hidden layers of the wrong shape', () => {
    expect(() => encodeHead({ ...head(4, 2), thresholds: Float32Array.from([0.5, 1.5]) })).toThrow(/\[0, 1\]/);
    const bad = head(4, 2, 3);
    bad.hidden!.bias = new Float32Array(2);
    expect(() => encodeHead(bad)).toThrow(/hidden.bias/);
  });

  it('runs the hidden layer as ReLU(z W1 + b1) W2 + b2', () => {
    const h = head(6, 3, 4);
    const x = Float32Array.from([0.3, -1, 2, 0.5, 0, 1]);
    const z = Array.from(x, (v, j) => (v - h.featureMean[j]) * h.featureScale[j]);
    const a = Array.from({ length: 4 }, (_, u) => Math.max(0, h.hidden!.bias[u] + z.reduce((s, zj, j) => s + zj * h.hidden!.weights[j * 4 + u], 0)));
    const logits = Array.from({ length: 3 }, (_, c) => h.bias[c] + a.reduce((s, au, u) => s + au * h.weights[u * 3 + c], 0));
    const got = headLogits(h, x, 1);
    logits.forEach((l, c) => expect(got[c]).toBeCloseTo(l, 4));
    const p = predictHead(h, x, 1);
    const e = logits.map((l) => Math.exp(l / 1.5));
    e.forEach((v, c) => expect(p[c]).toBeCloseTo(v / e.reduce((s, w) => s + w, 0), 5));
  });
});
