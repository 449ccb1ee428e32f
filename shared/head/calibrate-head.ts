import { calibrationReport, fitTemperature, type CalibrationSummary } from './calibration.ts';
import type { Head } from './head-types.ts';
import { headLogits, predictHead } from './predict-head.ts';
import { DEFAULT_OOD_QUANTILE, fitOodStats, fitOodThreshold, oodScores, type EmbeddingRows } from './ood.ts';
import type { TrainingSet } from './train-head.ts';
import { chooseThresholds } from './unknown.ts';

/**
 * Fits the head's temperature on held-out data, then picks per-label "unknown" thresholds on the calibrated
 * scores. The argmax (and so accuracy) is unchanged.
 * With `train`, also fits the out-of-distribution score (`ood.ts`) on the training embeddings and its threshold
 * at a high quantile of the held-out scores, so every head (CLI or cron) gets one without off-topic photos.
 * @param val held-out embeddings with labels in head.labels order
 * @param train the training embeddings (raw rows) and their labels in head.labels order
 * @returns a copy of the head with `temperature`, `thresholds` (and `ood`) set, and the summary stored in its manifest
 */
export function calibrateHead(
  head: Head,
  val: TrainingSet,
  train?: { rows: EmbeddingRows; labelIndex: Int32Array },
): { head: Head; summary: CalibrationSummary } {
  const k = head.labels.length;
  const n = val.labelIndex.length;
  const uncalibrated: Head = { ...head, temperature: 1, thresholds: undefined };
  const before = calibrationReport(predictHead(uncalibrated, val.embeddings, n), val.labelIndex, k);
  const temperature = fitTemperature(headLogits(head, val.embeddings, n), val.labelIndex, k);
  const scaled: Head = { ...uncalibrated, temperature };
  const probabilities = predictHead(scaled, val.embeddings, n);
  const after = calibrationReport(probabilities, val.labelIndex, k);
  const thresholds = chooseThresholds(probabilities, val.labelIndex, k);
  const calibrated: Head = { ...scaled, thresholds, ood: undefined };
  let oodSummary: CalibrationSummary['ood'];
  if (train) {
    const stats = fitOodStats(head, train.rows, train.labelIndex);
    const heldOut = oodScores({ ...calibrated, ood: { ...stats, threshold: 1 } }, val.embeddings, n);
    const threshold = fitOodThreshold(heldOut);
    calibrated.ood = { ...stats, threshold };
    oodSummary = { rank: stats.rank, threshold, quantile: DEFAULT_OOD_QUANTILE };
  } else {
    delete calibrated.ood;
  }
  return {
    head: calibrated,
    summary: {
      temperature,
      eceBefore: before.ece,
      eceAfter: after.ece,
      thresholds: Object.fromEntries(head.labels.map((label, c) => [label, thresholds[c]])),
      reliability: after.bins,
      ...(oodSummary ? { ood: oodSummary } : {}),
    },
  };
}
