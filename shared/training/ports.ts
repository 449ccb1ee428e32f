/**
 * The ports of the retraining job: what it needs from storage, the run log, the lease, KV and the adapter's
 * runtime, as interfaces. The worker implements them over D1/R2/KV (workers/example-store.ts, run-log.ts,
 * training-lease.ts); tests can hand in their own.
 */
import type { BackboneModel } from '../backbone/backbone-model.ts';
import type { ImageRuntime } from '../image/image-runtime.ts';
import type { KvLike } from '../store/kv-like.ts';
import type { HoldoutMistake, StoredEmbeddings } from './holdout-split.ts';
import type { RunRecord } from './run-record.ts';
import type { StoredSuspect } from './suspect-step.ts';

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
  /** The adapter's image runtime (kernels, codecs), for decoding stored originals. */
  image: ImageRuntime;
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
