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
import { embedImageViews } from '../embed-image.ts';
import { sha256Hex } from '../hash.ts';
import { trainingBackboneId } from '../store/choose-backbone.ts';
import { getCurrentHeadPointer, loadHead } from '../store/head-store.ts';
import { DEFAULT_GUARD_ALPHA } from './guard.ts';
import { isHoldout } from './holdout.ts';
import { splitStored } from './holdout-split.ts';
import type { TrainingDeps, TrainingOptions } from './ports.ts';
import { LEASE_HELD, type RunRecord, type RunStatus } from './run-record.ts';
import { findStoredSuspects, holdoutSuspectMask } from './suspect-step.ts';
import { fitAndJudge, publishCandidate, Stop, type RunData } from './train-steps.ts';



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
    if (error instanceof LeaseLostError) {
      run.details.conflict = 'lease_lost';
      return finish('kept', 'lost the training lease during the run (it was not renewed in time); nothing published');
    }
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
  const outcome = await decide(deps, options, run);
  return outcome instanceof Stop ? finish(outcome.status, outcome.reason) : finish('published', outcome.why);
}

/** The run's steps in order; each either hands its result on or stops the run with a reason. */
async function decide(deps: TrainingDeps, options: TrainingOptions, run: RunRecord): Promise<Stop | { why: string }> {
  const pointer = await getCurrentHeadPointer(deps.kv, options.model);
  run.servingVersion = pointer?.version ?? null;
  const backboneId = await trainingBackboneId(deps.kv, pointer, options.model);
  if (!backboneId) return new Stop('skipped', 'no backbone is imported yet');
  run.details.backboneId = backboneId;
  const state = await bringOntoBackbone(deps, options, run, backboneId);
  if (state instanceof Stop) return state;

  // 2. Nothing changed since the last decision: done, without reading any example or loading any model. The
  // version is read before the examples, so a change that lands meanwhile makes the next run train again.
  // (Re-embedding onto the same backbone changes nothing: the backbone is part of the fingerprint.)
  const settings = [backboneId, options.seed, options.maxEvaluations, options.minExamplesPerLabel, options.holdoutPercent, options.alpha ?? DEFAULT_GUARD_ALPHA].join(' ');
  const fingerprint = await sha256Hex(new TextEncoder().encode(`${settings}\nexamples version ${state.version}`));
  if ((await deps.runs.lastDecidedFingerprint()) === fingerprint) {
    return new Stop('skipped', 'no new, relabelled or deleted examples since the last decision');
  }
  run.fingerprint = fingerprint;
  const index = await deps.examples.listIndex();
  const labels = labelsToTrain(index, options, run);
  if (labels instanceof Stop) return labels;

  // 4-6. Stable holdout and suspects, a warm-started fit, the guard against the serving head, then publishing.
  const data = await holdoutAndSuspects(deps, options, run, backboneId, labels, index.length);
  if (data instanceof Stop) return data;
  const serving = pointer ? await loadHead(deps.kv, pointer.version, options.model) : null;
  const candidate = fitAndJudge(options, run, data, serving, backboneId);
  if (candidate instanceof Stop) return candidate;
  return publishCandidate(deps, options, run, data, candidate, serving, backboneId);
}

/** Step 1: brings examples of another backbone onto this one, a bounded batch per run; compacts legacy rows. */
async function bringOntoBackbone(deps: TrainingDeps, options: TrainingOptions, run: RunRecord, backboneId: string): Promise<Stop | { version: number }> {
  let state = await deps.examples.changeState(backboneId);
  if (state.stale > 0) {
    const stale = (await deps.examples.listIndex()).filter((e) => e.backboneId !== backboneId);
    const model = await deps.loadBackbone(backboneId);
    for (const example of stale.slice(0, options.reembedBatch)) {
      const bytes = await deps.examples.readOriginal(example.id);
      if (!bytes) throw new Error(`the original of example ${example.id} is missing from the bucket`);
      const { plain, flipped } = embedImageViews(bytes, model, { maxImagePixels: options.maxImagePixels, runtime: deps.image });
      run.backboneForwards += 2;
      await deps.examples.setEmbeddings(example.id, backboneId, plain, flipped);
      run.reEmbedded++;
    }
    const left = stale.length - run.reEmbedded;
    if (left > 0) return new Stop('kept', `re-embedded ${run.reEmbedded} examples onto backbone ${backboneId}; ${left} more to go before training`);
    state = await deps.examples.changeState(backboneId);
  }
  if (state.legacy > 0) run.details.compacted = await deps.examples.compactLegacy();
  return state;
}

/** Step 3: the sorted labels, when there are at least 2 and every one has enough examples. */
function labelsToTrain(index: { label: string }[], options: TrainingOptions, run: RunRecord): Stop | string[] {
  const counts = new Map<string, number>();
  for (const e of index) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  const labels = [...counts.keys()].sort();
  run.details.labelCounts = Object.fromEntries(labels.map((l) => [l, counts.get(l)]));
  if (labels.length < 2) return new Stop('kept', `a head needs at least 2 labels; the examples have ${labels.length}`);
  const short = labels.filter((l) => counts.get(l)! < options.minExamplesPerLabel);
  if (short.length === 0) return labels;
  const list = short.map((l) => `${JSON.stringify(l)} has ${counts.get(l)}`).join(', ');
  return new Stop('kept', `every label needs at least ${options.minExamplesPerLabel} examples: ${list}`);
}

/** Step 4a: the stored rows split into training set and stable holdout, with this run's suspect labels recorded. */
async function holdoutAndSuspects(
  deps: TrainingDeps, options: TrainingOptions, run: RunRecord, backboneId: string, labels: string[], expected: number,
): Promise<Stop | RunData> {
  const stored = await deps.examples.embeddedExamples(backboneId, expected);
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
  if (untrained.length > 0) return new Stop('kept', `labels with every example in the holdout: ${untrained.join(', ')}`);
  return { labels, train, holdout, heldOutSuspect };
}
