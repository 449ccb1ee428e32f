/**
 * Steps 4-6 of the retraining job (training-job.ts runs them in order): fit a candidate (warm-started from the
 * serving head when it is on the same backbone), judge it against the serving head on the holdout, publish it.
 */
import { calibrateHead } from '../head/calibrate-head.ts';
import type { Head } from '../head/head-types.ts';
import { evaluateHead, type HeadMetrics } from '../head/metrics.ts';
import { DEFAULT_TOLERANCE, trainHead } from '../head/train-head.ts';
import type { QuantisedRows } from '../examples/embedding-codec.ts';
import { getCurrentHeadPointer, publishHead, type HeadManifest, type TransferSummary } from '../store/head-store.ts';
import { guardPromotion, type GuardDecision } from './guard.ts';
import { accuracyOf, correctness, holdoutMistakes, holdoutSet, trainingSet, transferOnHoldout, type Holdout } from './holdout-split.ts';
import type { TrainingDeps, TrainingOptions } from './ports.ts';
import type { RunRecord, RunStatus } from './run-record.ts';
import { guardWithoutSuspects, heldBackReason } from './suspect-step.ts';

/**
 * Gradient tolerance of a warm-started fit (the CLI's cold fits keep trainHead's 1e-4). A warm start begins near
 * the optimum, and the last iterations to 1e-4 move the holdout's accuracy by nothing measurable: on the real
 * hymenoptera embeddings (8-bit, warm from a head of half the photos) 3e-4 takes 8 passes instead of 11 with the
 * same validation accuracy (0.9608) and log loss (0.146 vs 0.142), while 1e-3 (6 passes) lost one photo; on the
 * benchmark's 10k synthetic set, 7 passes instead of 15.
 */
export const WARM_START_TOLERANCE = 3e-4;

/** A step's verdict that ends the run without publishing. */
export class Stop {
  constructor(
    readonly status: RunStatus,
    readonly reason: string,
  ) {}
}

/** What steps 4-6 work on: the labels, the training rows, the holdout and which holdout rows are suspect. */
export interface RunData {
  labels: string[];
  train: { labels: string[]; rows: QuantisedRows };
  holdout: Holdout;
  heldOutSuspect: boolean[];
}

/** The fitted candidate and what the guard found. */
export interface Candidate {
  head: Head;
  metrics: HeadMetrics | null;
  transfer: TransferSummary | undefined;
  decision: GuardDecision | null;
  comparable: boolean;
}

/** Steps 4b and 5: fits the candidate, measures it and the serving head on the same holdout, applies the guard. */
export function fitAndJudge(
  options: TrainingOptions, run: RunRecord, data: RunData, serving: { head: Head; manifest: HeadManifest } | null, backboneId: string,
): Stop | Candidate {
  const { labels, train, holdout } = data;
  const comparable = serving !== null && serving.manifest.backboneId === backboneId;
  const fit = trainHead(trainingSet(train, labels), {
    seed: options.seed,
    maxEvaluations: options.maxEvaluations,
    initial: comparable ? serving.head : undefined,
    tolerance: comparable ? WARM_START_TOLERANCE : undefined,
  });
  run.details.training = {
    warmStart: comparable ? serving.manifest.version : null,
    tolerance: comparable ? WARM_START_TOLERANCE : DEFAULT_TOLERANCE,
    evaluations: fit.evaluations,
    iterations: fit.iterations,
    stopReason: fit.stopReason,
    initialLoss: fit.initialLoss,
    finalLoss: fit.finalLoss,
  };
  const holdoutCount = holdout.labels.length;
  const candidateCorrect = holdoutCount ? correctness(fit.head, holdout) : [];
  const metrics: HeadMetrics | null = holdoutCount ? evaluateHead(fit.head, holdoutSet(holdout, labels)) : null;
  run.details.candidate = { accuracy: accuracyOf(candidateCorrect), metrics };
  // The CLI's negative-transfer check on the holdout (no colour-histogram baseline here: the job keeps no pixels).
  const transfer = holdoutCount ? transferOnHoldout(accuracyOf(candidateCorrect)!, train.labels, holdout.labels, backboneId) : undefined;
  if (transfer) run.details.transfer = transfer;
  if (!comparable) return { head: fit.head, metrics, transfer, decision: null, comparable };
  if (holdoutCount === 0) return new Stop('kept', 'the holdout is empty, so the candidate cannot be compared with the serving head');
  const servingCorrect = correctness(serving.head, holdout);
  const outcome = {
    servingOnly: servingCorrect.filter((ok, i) => ok && !candidateCorrect[i]).length,
    candidateOnly: candidateCorrect.filter((ok, i) => ok && !servingCorrect[i]).length,
  };
  const decision = guardPromotion(outcome, options.alpha);
  // Full metrics need every holdout label to be one the serving head knows (not so when a label is new).
  const knowsAll = holdout.labels.every((l) => serving.head.labels.includes(l));
  const holdoutLabels = labels.filter((l) => holdout.labels.includes(l));
  run.details.serving = {
    version: serving.manifest.version,
    accuracy: accuracyOf(servingCorrect),
    metrics: knowsAll ? evaluateHead(serving.head, holdoutSet(holdout, holdoutLabels)) : null,
  };
  run.details.guard = { ...outcome, ...decision };
  const clean = guardWithoutSuspects(servingCorrect, candidateCorrect, data.heldOutSuspect, options.alpha);
  if (clean) run.details.guardWithoutSuspects = clean;
  if (decision.promote && clean && !clean.promote) return new Stop('kept', heldBackReason(serving.manifest.version, clean));
  if (!decision.promote) {
    return new Stop(
      'kept',
      `candidate is worse than serving head ${serving.manifest.version} on the holdout: ${outcome.servingOnly} examples lost vs ${outcome.candidateOnly} gained (sign test p = ${decision.pValue.toPrecision(3)} < ${decision.alpha})`,
    );
  }
  return { head: fit.head, metrics, transfer, decision, comparable };
}

/** Step 6: calibrates and publishes the candidate, only while holding the lease and only over the head this run compared against. */
export async function publishCandidate(
  deps: TrainingDeps, options: TrainingOptions, run: RunRecord, data: RunData, candidate: Candidate,
  serving: { manifest: HeadManifest } | null, backboneId: string,
): Promise<Stop | { why: string }> {
  const { labels, train, holdout } = data;
  if (!(await deps.lease.renew(run.id, deps.now().getTime(), options.leaseMs))) {
    run.fingerprint = null;
    run.details.conflict = 'lease_lost';
    return new Stop('kept', 'lost the training lease before publishing');
  }
  const current = await getCurrentHeadPointer(deps.kv, options.model);
  if ((current?.version ?? null) !== run.servingVersion) {
    run.fingerprint = null;
    run.details.conflict = 'serving_head_changed';
    return new Stop('kept', `the serving head changed to ${current?.version} during the run; not publishing over it`);
  }
  // Calibrate on the holdout as `edgehead train` does on its validation split: the temperature keeps every
  // argmax, so the guard's comparison above still holds; the thresholds give classify its "unknown" answer.
  // A label without holdout examples keeps threshold 0, and the OOD threshold is then cross-fitted on the
  // training rows, so every head gets its OOD check.
  const missing = labels.filter((l) => !holdout.labels.includes(l));
  const rows = trainingSet(train, labels);
  const { head: published, summary: calibration } = calibrateHead(candidate.head, holdoutSet(holdout, labels), { rows: rows.embeddings, labelIndex: rows.labelIndex, rowsPerExample: 2 });
  run.details.calibration = {
    temperature: calibration.temperature,
    eceBefore: calibration.eceBefore,
    eceAfter: calibration.eceAfter,
    thresholds: calibration.thresholds,
    ood: calibration.ood ?? null,
    ...(missing.length > 0 ? { noHoldoutExamples: missing } : {}),
  };
  const training = { by: `${run.trigger} run ${run.id}`, ...run.details.training, guard: run.details.guard ?? null };
  const manifest = await publishHead(deps.kv, published, { backboneId, metrics: candidate.metrics, calibration, transfer: candidate.transfer, training }, deps.now(), options.model);
  run.publishedVersion = manifest.version;
  const mistakes = holdout.labels.length ? holdoutMistakes(published, holdout) : [];
  run.details.mistakes = mistakes.length;
  await deps.examples.setMistakes?.(run.id, manifest.version, mistakes);
  const guard = run.details.guard;
  const why = !serving
    ? 'first head: every label has enough examples'
    : candidate.comparable && guard && candidate.decision
      ? `candidate is not worse than ${serving.manifest.version} beyond what the holdout resolves (${guard.servingOnly} lost, ${guard.candidateOnly} gained, p = ${candidate.decision.pValue.toPrecision(3)})`
      : `serving head ${serving.manifest.version} is on backbone ${serving.manifest.backboneId}; this is the first head on ${backboneId}`;
  return { why };
}
