/**
 * "Unknown": per-label confidence thresholds chosen on validation data, and the decision the classify route
 * answers with (a label, or null with the reason).
 */
import { BadRequestError } from '../errors.ts';
import type { Head } from './head-types.ts';
import type { Prediction } from './predict-head.ts';

/**
 * Per-label thresholds that maximise each label's F1 on held-out data, when predictions below the threshold
 * are answered "unknown" (counted as not predicting the label). Among equally good thresholds the lowest is
 * taken, so a label whose mistakes are not less confident than its hits keeps threshold 0 (accept all).
 * @param probabilities [n * k] calibrated probabilities of the held-out examples
 * @param labelIndex [n] their true labels
 * @returns [k] thresholds in [0, 1]
 */
export function chooseThresholds(probabilities: Float32Array, labelIndex: Int32Array, k: number): Float32Array {
  const n = labelIndex.length;
  if (probabilities.length !== n * k) throw new BadRequestError(`expected ${n} rows of ${k} probabilities, got ${probabilities.length}`);
  const support = new Float64Array(k);
  const predicted: { score: number; right: boolean }[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) {
    support[labelIndex[i]]++;
    let top = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c] > probabilities[i * k + top]) top = c;
    predicted[top].push({ score: probabilities[i * k + top], right: top === labelIndex[i] });
  }
  const thresholds = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    if (support[c] === 0) continue;
    // Sweep thresholds upwards through the scores: at threshold t, every prediction with score >= t is kept.
    const sorted = predicted[c].sort((a, b) => a.score - b.score);
    let truePositives = sorted.filter((p) => p.right).length;
    let kept = sorted.length;
    let bestF1 = f1(truePositives, kept, support[c]);
    let best = 0;
    for (let i = 0; i < sorted.length; i++) {
      if (sorted[i].right) truePositives--;
      kept--;
      // Only a threshold strictly between two distinct scores separates them.
      if (i + 1 < sorted.length && sorted[i + 1].score === sorted[i].score) continue;
      const score = f1(truePositives, kept, support[c]);
      if (score > bestF1 + 1e-12 && i + 1 < sorted.length) {
        bestF1 = score;
        best = sorted[i + 1].score;
      }
    }
    thresholds[c] = best;
  }
  return thresholds;
}

function f1(truePositives: number, kept: number, support: number): number {
  return truePositives > 0 ? (2 * truePositives) / (kept + support) : 0;
}

/** The classify answer's top-level decision. */
export type Decision =
  | { label: string; score: number; threshold: number }
  | { label: null; score: number; threshold: number; reason: 'below_threshold' | 'background'; candidate: string };

/**
 * Decides between the top prediction and "unknown".
 * @param ranked all predictions, best first (`rankPredictions`)
 * @param minScore overrides the head's per-label threshold for this request, in [0, 1]
 * @param backgroundLabel a label that means "none of the others": when it wins, the answer is null
 */
export function decide(head: Head, ranked: Prediction[], minScore?: number, backgroundLabel?: string | null): Decision {
  const top = ranked[0];
  const c = head.labels.indexOf(top.label);
  const threshold = minScore ?? head.thresholds?.[c] ?? 0;
  if (backgroundLabel && top.label === backgroundLabel) {
    return { label: null, score: top.score, threshold, reason: 'background', candidate: top.label };
  }
  if (top.score < threshold) return { label: null, score: top.score, threshold, reason: 'below_threshold', candidate: top.label };
  return { label: top.label, score: top.score, threshold };
}
