import { calibrationReport, fitTemperature, type CalibrationSummary } from './calibration.ts';
import type { Head } from './head-types.ts';
import { headLogits, predictHead } from './predict-head.ts';
import { crossFitOodThreshold } from './cross-fit-ood.ts';
import { DEFAULT_OOD_QUANTILE, fitOodStats, fitOodThreshold, oodScores, type EmbeddingRows } from './ood.ts';
import type { TrainingSet } from './train-head.ts';
import { chooseThresholds } from './unknown.ts';

/**
 * Fits the head's temperature on held-out data, then picks per-label "unknown" thresholds on the calibrated
 * scores. The argmax (and so accuracy) is unchanged.
 * With `train`, also fits the out-of-distribution score (`ood.ts`) on the training embeddings and its threshold
 * at a high quantile of the held-out scores, so every head (CLI or cron) gets one without off-topic photos.
 * @param val held-out embeddings with labels in head.labels order
 * When the held-out set lacks a label, that label keeps threshold 0 (no evidence to refuse on) and the OOD
 * threshold is cross-fitted on the training rows instead (`cross-fit-ood.ts`), so the head still gets one.
 * @param train the training embeddings (raw rows, `rowsPerExample` consecutive rows per example, default 1)
 *   and their labels in head.labels order
 * @returns a copy of the head with `temperature`, `thresholds` (and `ood`) set, and the summary stored in its manifest
 */
export function calibrateHead(
  head: Head,
  val: TrainingSet,
  train?: { rows: EmbeddingRows; labelIndex: Int32Array; rowsPerExample?: number },
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
    const everyLabelHeldOut = new Set(val.labelIndex).size === k;
    const threshold = everyLabelHeldOut
      ? fitOodThreshold(oodScores({ ...calibrated, ood: { ...stats, threshold: 1 } }, val.embeddings, n))
      : crossFitOodThreshold(calibrated, train.rows, train.labelIndex, train.rowsPerExample ?? 1);
    if (threshold === null) {
      delete calibrated.ood;
    } else {
      calibrated.ood = { ...stats, threshold };
      oodSummary = { rank: stats.rank, threshold, quantile: DEFAULT_OOD_QUANTILE, ...(everyLabelHeldOut ? {} : { crossFitted: true }) };
    }
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
