/**
 * The holdout and training sets of one retraining run, cut from the stored 8-bit embeddings, and what is measured on
 * the holdout (paired correctness, accuracy, the negative-transfer check).
 */
import { dequantiseRowInto, firstQuantisedRows, type QuantisedRows } from '../examples/embedding-codec.ts';
import type { Head } from '../head/head-types.ts';
import { predictHead } from '../head/predict-head.ts';
import type { QuantisedTrainingSet, TrainingSet } from '../head/train-head.ts';
import { majorityBaseline, transferWarning } from '../head/transfer.ts';
import type { TransferSummary } from '../store/head-store.ts';

/**
 * Stored examples with the embeddings of both views kept 8-bit as stored: example i (ids[i], labels[i]) has its
 * plain view in row 2i of `rows` and its horizontally flipped view in row 2i + 1.
 */
export interface StoredEmbeddings {
  ids: string[];
  labels: string[];
  rows: QuantisedRows;
}

/** The holdout: plain views only, as float32 (what a head is evaluated on), with each example's label. */
export interface Holdout {
  embeddings: Float32Array;
  embeddingSize: number;
  labels: string[];
  /** example ids, in the order of `labels` */
  ids: string[];
}

/** A holdout example a head gets wrong: its id, its label, the head's top label and that label's probability. */
export interface HoldoutMistake {
  id: string;
  label: string;
  predicted: string;
  confidence: number;
}

/** At most this many mistakes are recorded per head (the most confident first): enough to review by eye. */
export const MAX_RECORDED_MISTAKES = 100;

/**
 * Splits stored examples into the holdout (plain views expanded to float32) and the training rows (both views,
 * still 8-bit), moving the training rows to the front of `stored.rows` in place: no second copy of the set.
 * `stored` must not be used afterwards.
 */
export function splitStored(stored: StoredEmbeddings, isHeldOut: (id: string) => boolean): { train: { labels: string[]; rows: QuantisedRows }; holdout: Holdout } {
  const { rows } = stored;
  const d = rows.width;
  const held = stored.ids.map(isHeldOut);
  const holdoutCount = held.filter(Boolean).length;
  const holdout: Holdout = { embeddings: new Float32Array(holdoutCount * d), embeddingSize: d, labels: [], ids: [] };
  const trainLabels: string[] = [];
  let kept = 0;
  for (let i = 0; i < stored.ids.length; i++) {
    if (held[i]) {
      dequantiseRowInto(rows, 2 * i, holdout.embeddings, holdout.labels.length * d);
      holdout.labels.push(stored.labels[i]);
      holdout.ids.push(stored.ids[i]);
      continue;
    }
    if (kept !== i) {
      rows.codes.copyWithin(2 * kept * d, 2 * i * d, 2 * (i + 1) * d);
      rows.offset.copyWithin(2 * kept, 2 * i, 2 * i + 2);
      rows.step.copyWithin(2 * kept, 2 * i, 2 * i + 2);
    }
    trainLabels.push(stored.labels[i]);
    kept++;
  }
  return { train: { labels: trainLabels, rows: firstQuantisedRows(rows, 2 * kept) }, holdout };
}

/** The head's top-1 label and its probability for every holdout example. */
function topPredictions(head: Head, holdout: Holdout): { label: string; confidence: number }[] {
  const k = head.labels.length;
  const p = predictHead(head, holdout.embeddings, holdout.labels.length);
  return holdout.labels.map((_, i) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
    return { label: head.labels[best], confidence: p[i * k + best] };
  });
}

/** Paired top-1 correctness of a head on the holdout; a label the head does not know counts as wrong. */
export function correctness(head: Head, holdout: Holdout): boolean[] {
  return topPredictions(head, holdout).map((top, i) => top.label === holdout.labels[i]);
}

/**
 * The holdout examples `head` gets wrong, most confident mistake first (ties by id), at most `limit`.
 */
export function holdoutMistakes(head: Head, holdout: Holdout, limit = MAX_RECORDED_MISTAKES): HoldoutMistake[] {
  return topPredictions(head, holdout)
    .map((top, i) => ({ id: holdout.ids[i], label: holdout.labels[i], predicted: top.label, confidence: top.confidence }))
    .filter((m) => m.predicted !== m.label)
    .sort((a, b) => b.confidence - a.confidence || (a.id < b.id ? -1 : 1))
    .slice(0, limit);
}

/** The holdout as a set over `labels` (every holdout label must be one of them). */
export function holdoutSet(holdout: Holdout, labels: string[]): TrainingSet {
  const labelIndex = Int32Array.from(holdout.labels, (l) => labels.indexOf(l));
  return { embeddings: holdout.embeddings, embeddingSize: holdout.embeddingSize, labelIndex, labels };
}

/** Both views of every training example, 8-bit, labelled by index into `labels`. */
export function trainingSet(train: { labels: string[]; rows: QuantisedRows }, labels: string[]): QuantisedTrainingSet {
  const labelIndex = new Int32Array(2 * train.labels.length);
  train.labels.forEach((l, i) => (labelIndex[2 * i] = labelIndex[2 * i + 1] = labels.indexOf(l)));
  return { embeddings: train.rows, embeddingSize: train.rows.width, labelIndex, labels };
}

export const accuracyOf = (correct: boolean[]) => (correct.length ? correct.filter(Boolean).length / correct.length : null);

/** The CLI's negative-transfer check on the holdout (no colour-histogram baseline: the job keeps no pixels). */
export function transferOnHoldout(accuracy: number, trainLabels: string[], holdoutLabels: string[], backboneId: string): TransferSummary {
  const index = new Map<string, number>();
  const codes = (labels: string[]) => labels.map((l) => index.get(l) ?? index.set(l, index.size).get(l)!);
  const majority = majorityBaseline(codes(trainLabels), codes(holdoutLabels));
  return { accuracy, majorityBaseline: majority, colourHistogramBaseline: null, warning: transferWarning(accuracy, majority, null, backboneId) };
}
