/**
 * Guarded promotion: should a candidate head replace the serving one?
 *
 * Both heads are run on the same holdout examples (paired). Only the examples where they disagree on
 * correctness carry information: `servingOnly` = serving right and candidate wrong, `candidateOnly` = the
 * reverse. If the two heads were equally good, each such disagreement would be a fair coin, so
 * servingOnly ~ Binomial(servingOnly + candidateOnly, 1/2) (the exact McNemar / sign test). The candidate is
 * refused only when that one-sided p-value is below `alpha`, i.e. when it is worse by more than the holdout
 * can attribute to chance. A small holdout therefore resolves only large regressions (with no wins, 5 losses
 * are needed at alpha 0.05), a large one resolves small ones.
 */

export interface PairedOutcome {
  /** holdout examples the serving head gets right and the candidate wrong */
  servingOnly: number;
  /** holdout examples the candidate gets right and the serving head wrong */
  candidateOnly: number;
}

export interface GuardDecision {
  promote: boolean;
  /** P(X >= servingOnly) for X ~ Binomial(servingOnly + candidateOnly, 1/2); 1 when they never disagree */
  pValue: number;
  alpha: number;
}

export const DEFAULT_GUARD_ALPHA = 0.05;

/** Upper tail P(X >= k) of Binomial(n, 1/2), exact (log-space sum, fine for any holdout size). */
export function binomialUpperTail(k: number, n: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let logC = 0; // ln C(n, i), built up from i = 0
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    if (i >= k) sum += Math.exp(logC - n * Math.LN2);
  }
  return Math.min(1, sum);
}

/** Applies the paired sign test described above. */
export function guardPromotion(outcome: PairedOutcome, alpha = DEFAULT_GUARD_ALPHA): GuardDecision {
  const n = outcome.servingOnly + outcome.candidateOnly;
  const pValue = outcome.servingOnly > outcome.candidateOnly ? binomialUpperTail(outcome.servingOnly, n) : 1;
  return { promote: pValue >= alpha, pValue, alpha };
}
