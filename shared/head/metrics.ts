import { BadRequestError } from '../errors.ts';
import type { Head } from './head-types.ts';
import { predictHead } from './predict-head.ts';
import type { TrainingSet } from './train-head.ts';

export interface ClassMetrics {
  label: string;
  /** TP / (TP + FP); 0 when the class was never predicted. */
  precision: number;
  /** TP / (TP + FN); 0 when the class has no examples. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  /** Number of examples whose true label is this class. */
  support: number;
}

/** Plain JSON-serialisable numbers (no NaN), so they can be stored beside a published head. */
export interface HeadMetrics {
  /** Fraction of examples whose top-1 prediction is the true label. */
  accuracy: number;
  /** Number of examples evaluated. */
  n: number;
  /** In head.labels order. */
  perClass: ClassMetrics[];
  /** confusion[true][predicted] counts, both in head.labels order. */
  confusion: number[][];
  /** Mean of -ln p(true label) (natural log), with p floored at 1e-15 so one confident mistake stays finite. */
  logLoss: number;
  /** Mean recall over the labels that have examples: accuracy that is not fooled by imbalance. */
  balancedAccuracy: number;
  /** Unweighted mean F1 over the labels that have examples. */
  macroF1: number;
}

const MIN_PROBABILITY = 1e-15;

/**
 * Runs the head on labelled embeddings and measures it. Predicted label = highest probability (first label on
 * an exact tie).
 * @param data embeddings [n * embeddingSize]; its labels are matched to head.labels by name, so its label order
 *   may differ and it may lack some of the head's labels
 * @throws BadRequestError when the set is empty, its embeddingSize differs from the head's, or it has a label
 *   the head does not know
 */
export function evaluateHead(head: Head, data: TrainingSet): HeadMetrics {
  const k = head.labels.length;
  const n = data.labelIndex.length;
  if (n === 0) throw new BadRequestError('cannot evaluate a head on an empty set');
  if (data.embeddingSize !== head.embeddingSize) {
    throw new BadRequestError(`evaluation embeddings have size ${data.embeddingSize}; the head expects ${head.embeddingSize}`);
  }
  const toHead = data.labels.map((label) => {
    const c = head.labels.indexOf(label);
    if (c < 0) throw new BadRequestError(`label "${label}" is not one of the head's labels (${head.labels.join(', ')})`);
    return c;
  });
  const probabilities = predictHead(head, data.embeddings, n);
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let logLoss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = data.labelIndex[i];
    if (!(y >= 0 && y < toHead.length)) throw new BadRequestError(`labelIndex[${i}] is ${y}; it must be in [0, ${toHead.length - 1}]`);
    const truth = toHead[y];
    let predicted = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c] > probabilities[i * k + predicted]) predicted = c;
    confusion[truth][predicted]++;
    if (predicted === truth) correct++;
    logLoss -= Math.log(Math.max(probabilities[i * k + truth], MIN_PROBABILITY));
  }
  const perClass = head.labels.map((label, c) => {
    const truePositives = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((sum, row) => sum + row[c], 0);
    const precision = predictedCount > 0 ? truePositives / predictedCount : 0;
    const recall = support > 0 ? truePositives / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const present = perClass.filter((m) => m.support > 0);
  return {
    accuracy: correct / n,
    n,
    perClass,
    confusion,
    logLoss: logLoss / n,
    balancedAccuracy: present.reduce((sum, m) => sum + m.recall, 0) / present.length,
    macroF1: present.reduce((sum, m) => sum + m.f1, 0) / present.length,
  };
}

/**
 * A plain-text report for the CLI: overall accuracy, a per-class table and the confusion matrix with label
 * headers (rows = true label, columns = predicted).
 * @param labels the label order of metrics.confusion (head.labels)
 * @throws BadRequestError when labels does not match the size of the confusion matrix
 */
export function formatMetrics(metrics: HeadMetrics, labels: string[]): string {
  if (labels.length !== metrics.confusion.length) {
    throw new BadRequestError(`formatMetrics got ${labels.length} labels for a ${metrics.confusion.length}-class confusion matrix`);
  }
  const correct = metrics.confusion.reduce((sum, row, c) => sum + row[c], 0);
  const lines = [
    `accuracy ${fixed(metrics.accuracy)} (${correct}/${metrics.n})  balanced accuracy ${fixed(metrics.balancedAccuracy)}  ` +
      `macro F1 ${fixed(metrics.macroF1)}  log loss ${fixed(metrics.logLoss)}`,
    '',
  ];
  const nameWidth = Math.max(5, ...labels.map((l) => l.length));
  lines.push(`${'label'.padEnd(nameWidth)}  precision  recall      f1  support`);
  for (const m of metrics.perClass) {
    lines.push(
      `${m.label.padEnd(nameWidth)}  ${fixed(m.precision).padStart(9)}  ${fixed(m.recall).padStart(6)}  ${fixed(m.f1).padStart(6)}  ${String(m.support).padStart(7)}`,
    );
  }
  lines.push('', 'confusion (rows: true label, columns: predicted)');
  const corner = 'true \\ predicted';
  const rowWidth = Math.max(corner.length, nameWidth);
  const cellWidth = Math.max(...labels.map((l) => l.length), ...metrics.confusion.flat().map((v) => String(v).length));
  lines.push(`${corner.padEnd(rowWidth)}  ${labels.map((l) => l.padStart(cellWidth)).join('  ')}`);
  metrics.confusion.forEach((row, c) => {
    lines.push(`${labels[c].padEnd(rowWidth)}  ${row.map((v) => String(v).padStart(cellWidth)).join('  ')}`);
  });
  return lines.join('\n');
}

function fixed(value: number): string {
  return value.toFixed(4);
}
