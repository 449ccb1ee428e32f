/** What the retraining job records about each run (the D1 `runs` table in the worker, `GET /v1/runs`). */
import type { CalibrationSummary } from '../head/calibration.ts';
import type { HeadMetrics } from '../head/metrics.ts';
import type { StopReason } from '../head/train-head.ts';
import type { TransferSummary } from '../store/head-store.ts';
import type { GuardDecision } from './guard.ts';
import type { CleanGuard } from './suspect-step.ts';

/** `abandoned`: the run's process stopped heartbeating its lease (workerd killed); a later run marked it so. */
export type RunStatus = 'running' | 'published' | 'kept' | 'skipped' | 'failed' | 'abandoned';

/** `details.skip` of a run skipped because another run holds a live lease (`POST /v1/train` answers 409). */
export const LEASE_HELD = 'lease_held';

/**
 * `details.conflict` of a run that stopped without publishing because of another writer: it lost the training
 * lease (`lease_lost`), or the serving head changed under it (`serving_head_changed`).
 */
export type RunConflict = 'lease_lost' | 'serving_head_changed';

/** The run's `details`: each field is set by the step that found it, so any of them may be absent. */
export interface RunDetails {
  skip?: typeof LEASE_HELD;
  conflict?: RunConflict;
  /** ids of runs this one found `running` without a lease and marked `abandoned` */
  abandoned?: string[];
  backboneId?: string;
  /** examples converted from an older storage format */
  compacted?: number;
  labelCounts?: Record<string, number | undefined>;
  suspects?: { count: number; inHoldout: number };
  /** holdout mistakes of the published head recorded for review (`holdoutMistakes`) */
  mistakes?: number;
  training?: {
    warmStart: string | null;
    tolerance: number;
    evaluations: number;
    iterations: number;
    stopReason: StopReason;
    initialLoss: number;
    finalLoss: number;
  };
  candidate?: { accuracy: number | null; metrics: HeadMetrics | null };
  transfer?: TransferSummary;
  serving?: { version: string; accuracy: number | null; metrics: HeadMetrics | null };
  guard?: { servingOnly: number; candidateOnly: number } & GuardDecision;
  guardWithoutSuspects?: CleanGuard;
  calibration?: Pick<CalibrationSummary, 'temperature' | 'eceBefore' | 'eceAfter' | 'thresholds'> & {
    ood: CalibrationSummary['ood'] | null;
    noHoldoutExamples?: string[];
  };
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
  details: RunDetails;
}

/** True when `run` was skipped because another run held a live lease: a typed flag, not a message match. */
export function skippedForLease(run: RunRecord): boolean {
  return run.status === 'skipped' && run.details.skip === LEASE_HELD;
}
