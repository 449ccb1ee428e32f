/**
 * The retraining job's suspect-label step: out-of-fold predictions on every stored example (plain views), the
 * confident-learning suspects (`head/suspects.ts`) recorded for `GET /v1/examples?suspect=true`, and the holdout
 * cleaned of them, so a run trained on mislabelled uploads is judged on photos whose labels the model does not
 * contradict (the serving head then wins the guard instead of losing to the mislabels it was never trained on).
 */
import { allocateQuantisedRows, type QuantisedRows } from '../examples/embedding-codec.ts';
import { searchSuspects } from '../head/suspects.ts';

/** Stored examples as the job reads them: example i has its plain view in row 2i and its flipped view in 2i + 1. */
export interface StoredRows {
  ids: string[];
  labels: string[];
  rows: QuantisedRows;
}

/** One suspect example as stored: what the model says instead, and its out-of-fold probability. */
export interface StoredSuspect {
  id: string;
  given: string;
  label: string;
  score: number;
}

/** Folds of the job's out-of-fold heads: 3, so the step costs about two of the job's own fits. */
const JOB_FOLDS = 3;

/**
 * Finds the suspects among stored examples.
 * @param labels every label, sorted (as the job trains them)
 * @param maxEvaluations the job's CPU budget of one head fit; the step gives each of its 6 fold heads a sixth
 */
export function findStoredSuspects(stored: StoredRows, labels: string[], seed: number, maxEvaluations: number): StoredSuspect[] {
  const n = stored.ids.length;
  const d = stored.rows.width;
  const plain = allocateQuantisedRows(n, d);
  for (let i = 0; i < n; i++) {
    plain.codes.set(stored.rows.codes.subarray(2 * i * d, (2 * i + 1) * d), i * d);
    plain.offset[i] = stored.rows.offset[2 * i];
    plain.step[i] = stored.rows.step[2 * i];
  }
  const labelIndex = Int32Array.from(stored.labels, (l) => labels.indexOf(l));
  const { suspects } = searchSuspects(
    { embeddings: plain, embeddingSize: d, labelIndex, labels },
    stored.ids,
    { seed, folds: JOB_FOLDS, maxEvaluations: Math.max(5, Math.floor(maxEvaluations / 6)) },
  );
  return suspects.map((s) => ({ id: stored.ids[s.index], given: stored.labels[s.index], label: labels[s.label], score: s.score }));
}

/**
 * Removes examples (both views) from stored rows, in place, keeping the order of the rest.
 * @returns the same object, shortened
 */
export function dropStored(stored: StoredRows, drop: (id: string) => boolean): StoredRows {
  const d = stored.rows.width;
  const { codes, offset, step } = stored.rows;
  const ids: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < stored.ids.length; i++) {
    if (drop(stored.ids[i])) continue;
    const kept = ids.length;
    if (kept !== i) {
      codes.copyWithin(2 * kept * d, 2 * i * d, 2 * (i + 1) * d);
      offset.copyWithin(2 * kept, 2 * i, 2 * i + 2);
      step.copyWithin(2 * kept, 2 * i, 2 * i + 2);
    }
    ids.push(stored.ids[i]);
    labels.push(stored.labels[i]);
  }
  const rows = ids.length;
  stored.rows = { codes: codes.subarray(0, 2 * rows * d), offset: offset.subarray(0, 2 * rows), step: step.subarray(0, 2 * rows), width: d };
  stored.ids = ids;
  stored.labels = labels;
  return stored;
}
