import { ConflictError, CorruptStoredModelError, InvalidModelError, NotFoundError } from '../errors.ts';
import { sha256Hex } from '../hash.ts';
import { compactUtcTimestamp } from '../time.ts';
import { decodeHead, encodeHead } from '../head/head-codec.ts';
import type { Head } from '../head/head-types.ts';
import type { CalibrationSummary } from '../head/calibration.ts';
import type { HeadMetrics } from '../head/metrics.ts';
import { getJson, putJson, type KvLike } from './kv-like.ts';
import { modelKeys } from './model-keys.ts';
import { DEFAULT_MODEL } from '../models/model-name.ts';

/** Defined beside the calibration maths (the lower layer); re-exported for the manifest's readers. */
export type { CalibrationSummary } from '../head/calibration.ts';

/** Everything a user or the worker needs to know about a published head, stored beside its weights. */
export interface HeadManifest {
  version: string;
  labels: string[];
  backboneId: string;
  embeddingSize: number;
  /** validation metrics measured when it was trained */
  metrics: HeadMetrics | null;
  training: Record<string, unknown>;
  trainedAt: string;
  weightsSha256: string;
  weightsBytes: number;
  /** Temperature scaling and thresholds fitted on validation (absent on heads trained without validation data). */
  calibration?: CalibrationSummary;
  /** How well the backbone's features transfer to this data, with a plain warning when they barely do. */
  transfer?: TransferSummary;
  /** A label meaning "none of the others": when it wins, classify answers with a null label. */
  backgroundLabel?: string | null;
}

export interface TransferSummary {
  /** Validation accuracy of the head. */
  accuracy: number;
  /** Accuracy of always answering the most frequent training label. */
  majorityBaseline: number;
  /** Validation accuracy of the same kind of head trained on colour histograms instead of embeddings. */
  colourHistogramBaseline: number | null;
  /** Null when the transfer looks fine; else a sentence saying plainly what is wrong. */
  warning: string | null;
}

export interface HeadPointer {
  version: string;
  backboneId: string;
  publishedAt: string;
}

/**
 * Publishes a head: weights, then manifest, under a new immutable version key, and only then moves the
 * `current` pointer. A crash at any step leaves the serving head untouched; KV writes of distinct keys
 * need no lock.
 * @returns the stored manifest
 */
export async function publishHead(
  kv: KvLike,
  head: Head,
  info: {
    backboneId: string;
    metrics: HeadMetrics | null;
    training: Record<string, unknown>;
    calibration?: CalibrationSummary;
    transfer?: TransferSummary;
    backgroundLabel?: string | null;
  },
  now: Date,
  model: string = DEFAULT_MODEL,
): Promise<HeadManifest> {
  const weights = encodeHead(head);
  const weightsSha256 = await sha256Hex(weights);
  const version = `h-${compactUtcTimestamp(now)}-${weightsSha256.slice(0, 8)}`;
  const manifest: HeadManifest = {
    version,
    labels: head.labels,
    backboneId: info.backboneId,
    embeddingSize: head.embeddingSize,
    metrics: info.metrics,
    training: info.training,
    trainedAt: now.toISOString(),
    weightsSha256,
    weightsBytes: weights.byteLength,
  };
  if (info.calibration) manifest.calibration = info.calibration;
  if (info.transfer) manifest.transfer = info.transfer;
  if (info.backgroundLabel) manifest.backgroundLabel = info.backgroundLabel;
  await kv.put(modelKeys.headWeights(version, model), weights);
  await putJson(kv, modelKeys.headManifest(version, model), manifest);
  await promoteHead(kv, version, now, model);
  return manifest;
}

/** Points `current` at an already stored version (publishing, rollback or roll-forward). */
export async function promoteHead(kv: KvLike, version: string, now: Date, model: string = DEFAULT_MODEL): Promise<HeadPointer> {
  const manifest = await getHeadManifest(kv, version, model);
  if (!manifest) throw new NotFoundError(`head version ${version} does not exist`, 'head_not_found');
  const pointer: HeadPointer = { version, backboneId: manifest.backboneId, publishedAt: now.toISOString() };
  await putJson(kv, modelKeys.currentHead(model), pointer);
  return pointer;
}

export function getCurrentHeadPointer(kv: KvLike, model: string = DEFAULT_MODEL): Promise<HeadPointer | null> {
  return getJson<HeadPointer>(kv, modelKeys.currentHead(model));
}

export function getHeadManifest(kv: KvLike, version: string, model: string = DEFAULT_MODEL): Promise<HeadManifest | null> {
  return getJson<HeadManifest>(kv, modelKeys.headManifest(version, model));
}

/**
 * Loads a published head and checks its weights against the manifest's sha256.
 * @throws NotFoundError when the version is absent, CorruptStoredModelError (500) when its stored weights are corrupt or unreadable
 */
export async function loadHead(kv: KvLike, version: string, model: string = DEFAULT_MODEL): Promise<{ manifest: HeadManifest; head: Head }> {
  const manifest = await getHeadManifest(kv, version, model);
  const weights = manifest && (await kv.get(modelKeys.headWeights(version, model), 'arrayBuffer'));
  if (!manifest || !weights) throw new NotFoundError(`head version ${version} does not exist`, 'head_not_found');
  const bytes = new Uint8Array(weights);
  if ((await sha256Hex(bytes)) !== manifest.weightsSha256) {
    throw new CorruptStoredModelError(`stored head ${version} does not match its manifest's sha256`);
  }
  try {
    return { manifest, head: decodeHead(bytes) };
  } catch (error) {
    if (error instanceof InvalidModelError) throw new CorruptStoredModelError(`stored head ${version} cannot be read: ${error.message}`);
    throw error;
  }
}

/**
 * Every stored head version's manifest, oldest first (by training time, then version).
 * @throws Error when the KV binding cannot list (the CLI's remote adapter)
 */
export async function listHeads(kv: KvLike, model: string = DEFAULT_MODEL): Promise<HeadManifest[]> {
  const versions = await listHeadVersions(kv, model);
  const manifests = (await Promise.all(versions.map((v) => getHeadManifest(kv, v, model)))).filter((m): m is HeadManifest => m !== null);
  // Versions carry whole seconds; two heads published within one second are ordered by trainedAt (milliseconds).
  return manifests.sort((a, b) => a.trainedAt.localeCompare(b.trainedAt) || a.version.localeCompare(b.version));
}

/** The version of every stored head manifest of a model, in key order. */
async function listHeadVersions(kv: KvLike, model: string): Promise<string[]> {
  if (!kv.list) throw new Error('this KV store cannot list keys');
  const prefix = modelKeys.headPrefix(model);
  const versions: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await kv.list({ prefix, cursor });
    for (const { name } of page.keys) {
      const version = name.slice(prefix.length).split('/');
      if (version.length === 2 && name === modelKeys.headManifest(version[0], model)) versions.push(version[0]);
    }
    if (page.list_complete || !page.cursor) break;
    cursor = page.cursor;
  }
  return versions;
}

/**
 * Prunes a stored head version (weights, then manifest). Never the serving one.
 * @throws ConflictError (409) for the serving head, NotFoundError (404) for an unknown version
 */
export async function deleteHead(kv: KvLike, version: string, model: string = DEFAULT_MODEL): Promise<void> {
  if (!kv.delete) throw new Error('this KV store cannot delete keys');
  if ((await getCurrentHeadPointer(kv, model))?.version === version) {
    throw new ConflictError(`head ${version} is serving; promote another version before pruning it`, 'head_is_serving');
  }
  if (!(await getHeadManifest(kv, version, model))) throw new NotFoundError(`head version ${version} does not exist`, 'head_not_found');
  await kv.delete(modelKeys.headWeights(version, model));
  await kv.delete(modelKeys.headManifest(version, model));
}

/**
 * Deletes every head of a model and its `current` pointer (deleting the model): pointer first, so the model stops
 * serving before its weights go. Not for `default`, whose keys are shared with nothing but must never be wiped.
 * @returns how many versions were deleted
 */
export async function deleteAllHeads(kv: KvLike, model: string): Promise<number> {
  if (!kv.delete) throw new Error('this KV store cannot delete keys');
  if (model === DEFAULT_MODEL) throw new ConflictError('the default model cannot be deleted', 'default_model');
  const versions = await listHeadVersions(kv, model);
  await kv.delete(modelKeys.currentHead(model));
  for (const version of versions) {
    await kv.delete(modelKeys.headWeights(version, model));
    await kv.delete(modelKeys.headManifest(version, model));
  }
  return versions.length;
}
