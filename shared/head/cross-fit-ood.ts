/**
 * The out-of-distribution threshold without a held-out photo of every label: cross-fitted on the training rows.
 * The training examples are dealt into folds (stratified by label, every view of an example in the same fold);
 * the OOD statistics are fitted on the other folds and score the fold's plain views, so every score comes from
 * statistics that never saw that photo, as a held-out score would. The threshold is their high quantile.
 */
import type { QuantisedRows } from '../examples/embedding-codec.ts';
import type { Head } from './head-types.ts';
import { DEFAULT_OOD_QUANTILE, fitOodStats, fitOodThreshold, oodScores, type EmbeddingRows } from './ood.ts';

/**
 * @param rows training embeddings, `rowsPerExample` consecutive rows per example (the first is the plain view)
 * @param labelIndex [rows] labels in head.labels order (equal across an example's rows)
 * @returns the threshold, or null when some label has fewer than `folds` examples (a fold's fit would lack it)
 */
export function crossFitOodThreshold(head: Head, rows: EmbeddingRows, labelIndex: Int32Array, rowsPerExample: number, folds = 2, quantile = DEFAULT_OOD_QUANTILE): number | null {
  const k = head.labels.length;
  const examples = Math.floor(labelIndex.length / rowsPerExample);
  const seen = new Int32Array(k);
  const foldOf = new Int32Array(examples);
  for (let e = 0; e < examples; e++) foldOf[e] = seen[labelIndex[e * rowsPerExample]]++ % folds;
  if (seen.some((count) => count < folds)) return null;
  const scores: number[] = [];
  for (let f = 0; f < folds; f++) {
    const fitRows: number[] = [];
    const scoreRows: number[] = [];
    for (let e = 0; e < examples; e++) {
      if (foldOf[e] === f) scoreRows.push(e * rowsPerExample);
      else for (let v = 0; v < rowsPerExample; v++) fitRows.push(e * rowsPerExample + v);
    }
    const stats = fitOodStats(head, pickRows(rows, fitRows, head.embeddingSize), Int32Array.from(fitRows, (r) => labelIndex[r]));
    scores.push(...oodScores({ ...head, ood: { ...stats, threshold: 1 } }, pickRows(rows, scoreRows, head.embeddingSize), scoreRows.length));
  }
  return fitOodThreshold(scores, quantile);
}

function pickRows(rows: EmbeddingRows, picked: number[], d: number): EmbeddingRows {
  if (rows instanceof Float32Array) {
    const out = new Float32Array(picked.length * d);
    picked.forEach((r, j) => out.set(rows.subarray(r * d, (r + 1) * d), j * d));
    return out;
  }
  const q: QuantisedRows = rows;
  const out: QuantisedRows = { codes: new Uint8Array(picked.length * d), offset: new Float32Array(picked.length), step: new Float32Array(picked.length), width: q.width };
  picked.forEach((r, j) => {
    out.codes.set(q.codes.subarray(r * d, (r + 1) * d), j * d);
    out.offset[j] = q.offset[r];
    out.step[j] = q.step[r];
  });
  return out;
}
