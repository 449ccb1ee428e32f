import { describe, expect, it } from 'vitest';
import { calibrationReport } from '../../shared/head/calibration.ts';
import { crossFitCalibration } from '../../shared/head/cross-fit-calibration.ts';
import { createRandom } from '../../shared/head/random.ts';

/** Labels drawn from softmax(z), then the logits multiplied by `overconfidence`: the true temperature is that factor. */
function overconfidentSample(n: number, k: number, seed: number, overconfidence: number) {
  const random = createRandom(seed);
  const logits = new Float64Array(n * k);
  const labelIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, () => 2 * random.normal());
    const p = z.map(Math.exp);
    let u = random.uniform() * p.reduce((a, b) => a + b, 0);
    let y = 0;
    while (y < k - 1 && u > p[y]) u -= p[y++];
    labelIndex[i] = y;
    z.forEach((v, c) => (logits[i * k + c] = overconfidence * v));
  }
  return { logits, labelIndex };
}

describe('crossFitCalibration', () => {
  it('scores every photo once, with a temperature fitted only on the other fold, stratified by label', () => {
    const k = 3;
    const { logits, labelIndex } = overconfidentSample(600, k, 7, 4);
    const { probabilities, folds } = crossFitCalibration(logits, labelIndex, k, 2);
    expect(folds).toHaveLength(2);
    for (const f of folds) {
      expect(f.fittedOn.filter((i) => f.scoredOn.includes(i))).toEqual([]);
      expect(f.temperature).toBeGreaterThan(3.3);
      expect(f.temperature).toBeLessThan(4.8);
      for (let c = 0; c < k; c++) {
        const inFold = f.scoredOn.filter((i) => labelIndex[i] === c).length;
        const all = labelIndex.filter((y) => y === c).length;
        expect(Math.abs(inFold - all / 2)).toBeLessThanOrEqual(0.5);
      }
    }
    expect([...folds[0].scoredOn, ...folds[1].scoredOn].sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    for (let i = 0; i < 600; i++) expect(probabilities[i * k] + probabilities[i * k + 1] + probabilities[i * k + 2]).toBeCloseTo(1, 5);
    const raw = new Float32Array(logits.length);
    for (let i = 0; i < 600; i++) {
      const e = [0, 1, 2].map((c) => Math.exp(logits[i * k + c] - Math.max(logits[i * k], logits[i * k + 1], logits[i * k + 2])));
      const s = e[0] + e[1] + e[2];
      e.forEach((v, c) => (raw[i * k + c] = v / s));
    }
    expect(calibrationReport(probabilities, labelIndex, k).ece).toBeLessThan(calibrationReport(raw, labelIndex, k).ece / 3);
  });

  it("a photo's own logits never move the temperature that scores it", () => {
    const k = 2;
    const { logits, labelIndex } = overconfidentSample(100, k, 3, 3);
    const before = crossFitCalibration(logits, labelIndex, k);
    const photo = before.folds[0].scoredOn[5];
    const changed = Float64Array.from(logits);
    changed[photo * k + labelIndex[photo]] -= 40; // now confidently wrong
    const after = crossFitCalibration(changed, labelIndex, k);
    expect(after.folds[0].temperature).toBe(before.folds[0].temperature);
    expect(after.folds[1].temperature).not.toBe(before.folds[1].temperature);
  });

  it('refuses fewer photos than folds and a fold count below 2', () => {
    expect(() => crossFitCalibration(new Float64Array(2), new Int32Array(1), 2)).toThrow(/at least 2 photos/);
    expect(() => crossFitCalibration(new Float64Array(8), new Int32Array(4), 2, 1)).toThrow(/folds must be an integer >= 2/);
  });
});
