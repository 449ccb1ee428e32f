/**
 * The retraining job the cron trigger (and `POST /v1/train`) runs: bring stored examples onto the training
 * backbone, fine-tune the head from the serving one, measure both on a stable holdout, and publish the
 * candidate only when the guard allows it. Pure core over small interfaces (examples, run log, lease, KV),
 * so it runs the same in workerd (D1/R2) and in tests.
 *
 * Safety: publishing is the last step and goes through `publishHead` (weights, manifest, then the pointer),
 * only while this run holds the lease and only if the serving head has not changed since the run started;
 * a run that fails at any point before leaves the serving head untouched and records why.
 */
import type { BackboneModel } from '../backbone/backbone-model.ts';
import { embedImageViews } from '../embed-image.ts';
import { sha256Hex } from '../hash.ts';
import { calibrateHead } from '../head/calibrate-head.ts';
import { evaluateHead, type HeadMetrics } from '../head/metrics.ts';
import { DEFAULT_TOLERANCE, trainHead } from '../head/train-head.ts';
import { getCurrentBackboneId } from '../store/backbone-store.ts';
import { getCurrentHeadPointer, loadHead, publishHead } from '../store/head-store.ts';
import type { KvLike } from '../store/kv-like.ts';
import { DEFAULT_GUARD_ALPHA, guardPromotion, type GuardDecision } from './guard.ts';
import { isHoldout } from './holdout.ts';
import { accuracyOf, correctness, holdoutMistakes, holdoutSet, splitStored, trainingSet, transferOnHoldout, type HoldoutMistake, type StoredEmbeddings } from './holdout-split.ts';
import { findStoredSuspects, guardWithoutSuspects, heldBackReason, holdoutSuspectMask, type StoredSuspect } from './suspect-step.ts';

export type { HoldoutMistake, StoredEmbeddings } from './holdout-split.ts';

/** The example storage the job needs (D1 + R2 in the worker). */
export interface ExampleStore {
  /** id, label and embedding backbone of every example, sorted by id; no embeddings (cheap). */
  listIndex(): Promise<{ id: string; label: string; backboneId: string }[]>;
  /** The original photo, or null when it is gone. */
  readOriginal(id: string): Promise<Uint8Array | null>;
  /** Replaces an example's embeddings (after re-embedding with another backbone). */
  setEmbeddings(id: string, backboneId: string, plain: Float32Array, flipped: Float32Array): Promise<void>;
  /** Every example whose embeddings come from `backboneId`, sorted by id; `expected` (how many there should be)
   * sizes the buffers. */
  embeddedExamples(backboneId: string, expected: number): Promise<StoredEmbeddings>;
  /**
   * Cheap, whatever the number of examples: a counter that every insert, relabel and delete raises (so equal
   * versions mean the same examples with the same labels), how many examples are not on `backboneId`, and how
   * many are still stored in an older format.
   */
  changeState(backboneId: string): Promise<{ version: number; stale: number; legacy: number }>;
  /** Converts a bounded batch of examples still stored in an older format (same values); returns how many. */
  compactLegacy(): Promise<number>;
  /** Replaces the recorded suspect labels with this run's (`suspect-step.ts`); optional for stores that keep none. */
  setSuspects?(runId: string, suspects: StoredSuspect[]): Promise<void>;
  /** Records the holdout examples a newly published head gets wrong (`holdoutMistakes`); optional like suspects. */
  setMistakes?(runId: string, headVersion: string, mistakes: HoldoutMistake[]): Promise<void>;
}

/** `abandoned`: the run's process stopped heartbeating its lease (workerd killed); a later run marked it so. */
export type RunStatus = 'running' | 'published' | 'kept' | 'skipped' | 'failed' | 'abandoned';

/** `details.skip` of a run skipped because another run holds a live lease (`POST /v1/train` answers 409). */
export const LEASE_HELD = 'lease_held';

/** True when `run` was skipped because another run held a live lease: a typed flag, not a message match. */
export function skippedForLease(run: RunRecord): boolean {
  return run.status === 'skipped' && run.details.skip === LEASE_HELD;
}

export interface RunRecord {
  id: string;
  trigger: 'cron' | 'manual';
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  reason: string | null;
  examplesTrain: number | null;
  examplesHoldout: number | null;
  /** examples re-embedded onto the training backbone by this run */
  reEmbedded: number;
  /** images passed through the backbone by this run (each example counts 2: plain and flipped) */
  backboneForwards: number;
  servingVersion: string | null;
  publishedVersion: string | null;
  /** hash of the examples and settings the decision was made on; equal hashes mean nothing changed */
  fingerprint: string | null;
  details: Record<string, unknown>;
}

/** Where runs are recorded (the D1 `runs` table in the worker). */
export interface RunLog {
  /** Writes a run row (status running) before any work, so a run that dies is visible. */
  start(run: RunRecord): Promise<void>;
  finish(run: RunRecord): Promise<void>;
  /**
   * Marks every other run still `running` as `abandoned` (finished at `finishedAt`, with `reason`); called by
   * the run that holds the lease, so those runs' processes no longer renew it. Returns their ids.
   */
  abandonOthers(exceptId: string, finishedAt: string, reason: string): Promise<string[]>;
  /** Fingerprint of the latest run that reached a decision on its data (published or kept), or null. */
  lastDecidedFingerprint(): Promise<string | null>;
}

/** A mutual-exclusion lease with expiry (a D1 row in the worker), so overlapping runs never both publish. */
export interface TrainingLease {
  /** Takes the lease if it is free or expired; true when `owner` now holds it until nowMs + ttlMs. */
  acquire(owner: string, nowMs: number, ttlMs: number): Promise<boolean>;
  /** Extends the lease; false when `owner` no longer holds it (it expired and someone else took it). */
  renew(owner: string, nowMs: number, ttlMs: number): Promise<boolean>;
  release(owner: string): Promise<void>;
}

export interface TrainingDeps {
  kv: KvLike;
  examples: ExampleStore;
  runs: RunLog;
  lease: TrainingLease;
  /** Loads a stored backbone for re-embedding; called only when something needs embedding. */
  loadBackbone(id: string): Promise<BackboneModel>;
  now(): Date;
}

export interface TrainingOptions {
  runId: string;
  trigger: 'cron' | 'manual';
  seed: number;
  /** CPU budget of the head fit, in passes over the data (workerd's clock does not move during CPU work) */
  maxEvaluations: number;
  /** every label needs at least this many examples (holdout included) before a head is published */
  minExamplesPerLabel: number;
  /** holdout share, percent */
  holdoutPercent: number;
  /** examples re-embedded per run at most (each is 2 backbone forwards) */
  reembedBatch: number;
  /**
   * lease lifetime: renewed at every awaited step once a third of it has passed, so it only has to outlast the
   * longest synchronous stretch (the head fit); a dead run's lease goes stale within it
   */
  leaseMs: number;
  maxImagePixels: number;
  alpha?: number;
  /** the named model whose head is read and published (`shared/models/model-name.ts`); default `default` */
  model?: string;
}

/**
 * Gradient tolerance of a warm-started fit (the CLI's cold fits keep trainHead's 1e-4). A warm start begins near
 * the optimum, and the last iterations to 1e-4 move the holdout's accuracy by nothing measurable: on the real
 * hymenoptera embeddings (8-bit, warm from a head of half the photos) 3e-4 takes 8 passes instead of 11 with the
 * same validation accuracy (0.9608) and log loss (0.146 vs 0.142), while 1e-3 (6 passes) lost one photo; on the
 * benchmark's 10k synthetic set, 7 passes instead of 15.
 */
export const WARM_START_TOLERANCE = 3e-4;

/** Thrown inside a run when its lease could not be renewed: another run took it over, so this one stops. */
class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/**
 * Wraps every method of `target` so each call first renews the run's lease (when a third of its lifetime has
 * passed on the injected clock): the run heartbeats at every awaited step without threading calls through it.
 */
function heartbeating<T extends object>(target: T, beat: () => Promise<void>): T {
  return new Proxy(target, {
    get(object, key) {
      const value = Reflect.get(object, key) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await beat();
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}


/**
 * Runs one retraining job and records it. Never throws for a failure inside the run: it is recorded as
 * status `failed` with the message, and the serving head stays as it was.
 * @returns the run record as stored
 */
export async function runTrainingJob(deps: TrainingDeps, options: TrainingOptions): Promise<RunRecord> {
  const run: RunRecord = {
    id: options.runId,
    trigger: options.trigger,
    startedAt: deps.now().toISOString(),
    finishedAt: null,
    status: 'running',
    reason: null,
    examplesTrain: null,
    examplesHoldout: null,
    reEmbedded: 0,
    backboneForwards: 0,
    servingVersion: null,
    publishedVersion: null,
    fingerprint: null,
    details: {},
  };
  const finish = async (status: RunStatus, reason: string): Promise<RunRecord> => {
    run.status = status;
    run.reason = reason;
    run.finishedAt = deps.now().toISOString();
    await deps.runs.finish(run);
    return run;
  };

  if (!(await deps.lease.acquire(run.id, deps.now().getTime(), options.leaseMs))) {
    await deps.runs.start(run);
    run.details.skip = LEASE_HELD;
    return finish('skipped', 'another training run holds the lease');
  }
  await deps.runs.start(run);
  // Holding the lease, any other run still `running` has stopped renewing it (its lease expired or was released
  // without a finish): its process died. Record that instead of leaving it running forever.
  const abandoned = await deps.runs.abandonOthers(
    run.id,
    run.startedAt,
    `its process stopped heartbeating the training lease (no renewal within ${Math.round(options.leaseMs / 1000)} s); run ${run.id} took the lease over`,
  );
  if (abandoned.length) run.details.abandoned = abandoned;
  let renewedAt = deps.now().getTime();
  const beat = async () => {
    const now = deps.now().getTime();
    if (now - renewedAt < options.leaseMs / 3) return;
    if (!(await deps.lease.renew(run.id, now, options.leaseMs))) throw new LeaseLostError('another run took the training lease over');
    renewedAt = now;
  };
  const beating: TrainingDeps = { ...deps, kv: heartbeating(deps.kv, beat), examples: heartbeating(deps.examples, beat) };
  try {
    return await trainAndDecide(beating, options, run, finish);
  } catch (error) {
    if (error instanceof LeaseLostError) return finish('kept', 'lost the training lease during the run (it was not renewed in time); nothing published');
    return finish('failed', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  } finally {
    await deps.lease.release(run.id);
  }
}

async function trainAndDecide(
  deps: TrainingDeps,
  options: TrainingOptions,
  run: RunRecord,
  finish: (status: RunStatus, reason: string) => Promise<RunRecord>,
): Promise<RunRecord> {
  const pointer = await getCurrentHeadPointer(deps.kv, options.model);
  run.servingVersion = pointer?.version ?? null;
  const backboneId = (await getCurrentBackboneId(deps.kv)) ?? pointer?.backboneId ?? null;
  if (!backboneId) return finish('skipped', 'no backbone is imported yet');
  run.details.backboneId = backboneId;

  // 1. Bring examples of another backbone onto this one, a bounded batch per run.
  let state = await deps.examples.changeState(backboneId);
  if (state.stale > 0) {
    const stale = (await deps.examples.listIndex()).filter((e) => e.backboneId !== backboneId);
    const model = await deps.loadBackbone(backboneId);
    for (const example of stale.slice(0, options.reembedBatch)) {
      const bytes = await deps.examples.readOriginal(example.id);
      if (!bytes) throw new Error(`the original of example ${example.id} is missing from the bucket`);
      const { plain, flipped } = embedImageViews(bytes, model, { maxImagePixels: options.maxImagePixels });
      run.backboneForwards += 2;
      await deps.examples.setEmbeddings(example.id, backboneId, plain, flipped);
      run.reEmbedded++;
    }
    const left = stale.length - run.reEmbedded;
    if (left > 0) return finish('kept', `re-embedded ${run.reEmbedded} examples onto backbone ${backboneId}; ${left} more to go before training`);
    state = await deps.examples.changeState(backboneId);
  }
  if (state.legacy > 0) run.details.compacted = await deps.examples.compactLegacy();

  // 2. Nothing changed since the last decision: done, without reading any example or loading any model. The
  // version is read before the examples, so a change that lands meanwhile makes the next run train again.
  // (Re-embedding onto the same backbone changes nothing: the backbone is part of the fingerprint.)
  const settings = [backboneId, options.seed, options.maxEvaluations, options.minExamplesPerLabel, options.holdoutPercent, options.alpha ?? DEFAULT_GUARD_ALPHA].join(' ');
  const fingerprint = await sha256Hex(new TextEncoder().encode(`${settings}\nexamples version ${state.version}`));
  if ((await deps.runs.lastDecidedFingerprint()) === fingerprint) {
    return finish('skipped', 'no new, relabelled or deleted examples since the last decision');
  }
  run.fingerprint = fingerprint;
  const index = await deps.examples.listIndex();

  // 3. Enough examples of every label?
  const counts = new Map<string, number>();
  for (const e of index) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  const labels = [...counts.keys()].sort();
  run.details.labelCounts = Object.fromEntries(labels.map((l) => [l, counts.get(l)]));
  if (labels.length < 2) return finish('kept', `a head needs at least 2 labels; the examples have ${labels.length}`);
  const short = labels.filter((l) => counts.get(l)! < options.minExamplesPerLabel);
  if (short.length > 0) {
    const list = short.map((l) => `${JSON.stringify(l)} has ${counts.get(l)}`).join(', ');
    return finish('kept', `every label needs at least ${options.minExamplesPerLabel} examples: ${list}`);
  }

  // 4. Stable holdout, then fit with a warm start from the serving head.
  const stored = await deps.examples.embeddedExamples(backboneId, index.length);
  // Suspect labels: recorded for review, and the guard also judges without the holdout's suspects (step 5).
  const suspects = findStoredSuspects(stored, labels, options.seed, options.maxEvaluations);
  await deps.examples.setSuspects?.(run.id, suspects);
  const heldOutSuspect = holdoutSuspectMask(stored.ids, suspects, (id) => isHoldout(id, options.holdoutPercent));
  run.details.suspects = { count: suspects.length, inHoldout: heldOutSuspect.filter(Boolean).length };
  const { train, holdout } = splitStored(stored, (id) => isHoldout(id, options.holdoutPercent));
  run.examplesTrain = train.labels.length;
  run.examplesHoldout = holdout.labels.length;
  const trainedLabels = new Set(train.labels);
  const untrained = labels.filter((l) => !trainedLabels.has(l));
  if (untrained.length > 0) return finish('kept', `labels with every example in the holdout: ${untrained.join(', ')}`);

  const serving = pointer ? await loadHead(deps.kv, pointer.version, options.model) : null;
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

  // 5. Measure both heads on the same holdout and apply the guard.
  const holdoutCount = holdout.labels.length;
  const candidateCorrect = holdoutCount ? correctness(fit.head, holdout) : [];
  const candidateMetrics: HeadMetrics | null = holdoutCount ? evaluateHead(fit.head, holdoutSet(holdout, labels)) : null;
  run.details.candidate = { accuracy: accuracyOf(candidateCorrect), metrics: candidateMetrics };
  // The CLI's negative-transfer check on the holdout (no colour-histogram baseline here: the job keeps no pixels).
  const transfer = holdoutCount ? transferOnHoldout(accuracyOf(candidateCorrect)!, train.labels, holdout.labels, backboneId) : undefined;
  if (transfer) run.details.transfer = transfer;
  let decision: GuardDecision | null = null;
  if (comparable) {
    if (holdoutCount === 0) return finish('kept', 'the holdout is empty, so the candidate cannot be compared with the serving head');
    const servingCorrect = correctness(serving.head, holdout);
    const outcome = {
      servingOnly: servingCorrect.filter((ok, i) => ok && !candidateCorrect[i]).length,
      candidateOnly: candidateCorrect.filter((ok, i) => ok && !servingCorrect[i]).length,
    };
    decision = guardPromotion(outcome, options.alpha);
    // Full metrics need every holdout label to be one the serving head knows (not so when a label is new).
    const knowsAll = holdout.labels.every((l) => serving.head.labels.includes(l));
    const holdoutLabels = labels.filter((l) => holdout.labels.includes(l));
    run.details.serving = {
      version: serving.manifest.version,
      accuracy: accuracyOf(servingCorrect),
      metrics: knowsAll ? evaluateHead(serving.head, holdoutSet(holdout, holdoutLabels)) : null,
    };
    run.details.guard = { ...outcome, ...decision };
    const clean = guardWithoutSuspects(servingCorrect, candidateCorrect, heldOutSuspect, options.alpha);
    if (clean) run.details.guardWithoutSuspects = clean;
    if (decision.promote && clean && !clean.promote) return finish('kept', heldBackReason(serving.manifest.version, clean));
    if (!decision.promote) {
      return finish(
        'kept',
        `candidate is worse than serving head ${serving.manifest.version} on the holdout: ${outcome.servingOnly} examples lost vs ${outcome.candidateOnly} gained (sign test p = ${decision.pValue.toPrecision(3)} < ${decision.alpha})`,
      );
    }
  }

  // 6. Publish, only while holding the lease and only over the head this run compared against.
  if (!(await deps.lease.renew(run.id, deps.now().getTime(), options.leaseMs))) {
    run.fingerprint = null;
    return finish('kept', 'lost the training lease before publishing');
  }
  const current = await getCurrentHeadPointer(deps.kv, options.model);
  if ((current?.version ?? null) !== run.servingVersion) {
    run.fingerprint = null;
    return finish('kept', `the serving head changed to ${current?.version} during the run; not publishing over it`);
  }
  // Calibrate on the holdout as `edgehead train` does on its validation split: the temperature keeps every
  // argmax, so the guard's comparison above still holds; the thresholds give classify its "unknown" answer.
  // A label without holdout examples keeps threshold 0, and the OOD threshold is then cross-fitted on the
  // training rows, so every head gets its OOD check.
  const missing = labels.filter((l) => !holdout.labels.includes(l));
  const rows = trainingSet(train, labels);
  const { head: published, summary: calibration } = calibrateHead(fit.head, holdoutSet(holdout, labels), { rows: rows.embeddings, labelIndex: rows.labelIndex, rowsPerExample: 2 });
  run.details.calibration = {
    temperature: calibration.temperature,
    eceBefore: calibration.eceBefore,
    eceAfter: calibration.eceAfter,
    thresholds: calibration.thresholds,
    ood: calibration.ood ?? null,
    ...(missing.length > 0 ? { noHoldoutExamples: missing } : {}),
  };
  const manifest = await publishHead(
    deps.kv,
    published,
    { backboneId, metrics: candidateMetrics, calibration, transfer, training: { by: `${run.trigger} run ${run.id}`, ...(run.details.training as object), guard: run.details.guard ?? null } },
    deps.now(),
    options.model,
  );
  run.publishedVersion = manifest.version;
  const mistakes = holdoutCount ? holdoutMistakes(published, holdout) : [];
  run.details.mistakes = mistakes.length;
  await deps.examples.setMistakes?.(run.id, manifest.version, mistakes);
  const why = !serving
    ? 'first head: every label has enough examples'
    : comparable
      ? `candidate is not worse than ${serving.manifest.version} beyond what the holdout resolves (${(run.details.guard as { servingOnly: number }).servingOnly} lost, ${(run.details.guard as { candidateOnly: number }).candidateOnly} gained, p = ${decision!.pValue.toPrecision(3)})`
      : `serving head ${serving.manifest.version} is on backbone ${serving.manifest.backboneId}; this is the first head on ${backboneId}`;
  return finish('published', why);
}
