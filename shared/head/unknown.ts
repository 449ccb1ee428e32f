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

/** How far the photo's embedding lies from the training classes (`ood.ts`), and the head's limit. */
export interface OodReading {
  score: number;
  threshold: number;
}

/** The classify answer's top-level decision; `ood` is present when the head has OOD statistics. */
export type Decision =
  | { label: string; score: number; threshold: number; ood?: OodReading }
  | {
      label: null;
      score: number;
      threshold: number;
      reason: 'below_threshold' | 'background' | 'out_of_distribution';
      candidate: string;
      ood?: OodReading;
    };

/**
 * Decides between the top prediction and "unknown". The OOD check comes first: a photo far from everything the
 * head was trained on is unknown however confident the softmax is (softmax scores only compare the known labels).
 * @param ranked all predictions, best first (`rankPredictions`)
 * @param minScore overrides the head's per-label threshold for this request, in [0, 1]
 * @param backgroundLabel a label that means "none of the others": when it wins, the answer is null
 * @param oodScore the photo's OOD score (`oodScores`); ignored when the head has no OOD statistics
 */
export function decide(head: Head, ranked: Prediction[], minScore?: number, backgroundLabel?: string | null, oodScore?: number): Decision {
  const top = ranked[0];
  const c = head.labels.indexOf(top.label);
  const threshold = minScore ?? head.thresholds?.[c] ?? 0;
  const ood = head.ood && oodScore !== undefined ? { ood: { score: oodScore, threshold: head.ood.threshold } } : {};
  if (ood.ood && ood.ood.score > ood.ood.threshold) {
    return { label: null, score: top.score, threshold, reason: 'out_of_distribution', candidate: top.label, ...ood };
  }
  if (backgroundLabel && top.label === backgroundLabel) {
    return { label: null, score: top.score, threshold, reason: 'background', candidate: top.label, ...ood };
  }
  if (top.score < threshold) return { label: null, score: top.score, threshold, reason: 'below_threshold', candidate: top.label, ...ood };
  return { label: top.label, score: top.score, threshold, ...ood };
}
