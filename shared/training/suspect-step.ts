/**
 * The retraining job's suspect-label step: out-of-fold predictions on every stored example (plain views), the
 * confident-learning suspects (`head/suspects.ts`) recorded for `GET /v1/examples?suspect=true`, and a second
 * guard verdict on the holdout without them, so a run trained on mislabelled uploads cannot replace a better head
 * merely because the holdout carries the same wrong labels.
 */
import { allocateQuantisedRows, type QuantisedRows } from '../examples/embedding-codec.ts';
import { searchSuspects } from '../head/suspects.ts';
import { guardPromotion, type GuardDecision } from './guard.ts';

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
 * Which holdout examples (in holdout order: stored order, held-out ones only) are suspects.
 */
export function holdoutSuspectMask(ids: string[], suspects: StoredSuspect[], isHeldOut: (id: string) => boolean): boolean[] {
  const suspectIds = new Set(suspects.map((s) => s.id));
  return ids.filter(isHeldOut).map((id) => suspectIds.has(id));
}

/** The guard's verdict on the holdout without its suspect labels. */
export interface CleanGuard extends GuardDecision {
  servingOnly: number;
  candidateOnly: number;
  /** Holdout examples left out (suspects). */
  excluded: number;
}

/**
 * The guard again on the holdout without its suspects. Mislabelled uploads land in the holdout too (by hash), and a
 * candidate trained on them agrees with those wrong labels; without them, the holdout's real labels judge. Both
 * verdicts must allow the candidate: dropping the suspects alone would not do, since when mislabels outnumber
 * the real ones it is the correctly labelled photos that the out-of-fold heads contradict.
 * @returns null when no holdout example is a suspect (the first verdict stands)
 */
export function guardWithoutSuspects(servingCorrect: boolean[], candidateCorrect: boolean[], suspect: boolean[], alpha?: number): CleanGuard | null {
  const excluded = suspect.filter(Boolean).length;
  if (excluded === 0) return null;
  let servingOnly = 0;
  let candidateOnly = 0;
  for (let i = 0; i < suspect.length; i++) {
    if (suspect[i]) continue;
    if (servingCorrect[i] && !candidateCorrect[i]) servingOnly++;
    if (candidateCorrect[i] && !servingCorrect[i]) candidateOnly++;
  }
  return { servingOnly, candidateOnly, excluded, ...guardPromotion({ servingOnly, candidateOnly }, alpha) };
}

/** The run's reason when only the verdict without suspects holds it back. */
export function heldBackReason(servingVersion: string, clean: CleanGuard): string {
  return (
    `candidate is worse than serving head ${servingVersion} on the holdout without its ${clean.excluded} suspect labels: ` +
    `${clean.servingOnly} examples lost vs ${clean.candidateOnly} gained (sign test p = ${clean.pValue.toPrecision(3)} < ${clean.alpha}); ` +
    'see GET /v1/examples?suspect=true'
  );
}
