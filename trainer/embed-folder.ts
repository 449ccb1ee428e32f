/** Embedding a listed ImageFolder with the frozen backbone, through the on-disk cache: shared by train, evaluate and rank. */
import { readFile } from 'node:fs/promises';
import type { BackboneModel } from '../shared/backbone/backbone-model.ts';
import type { ImageRuntime } from '../shared/image/image-runtime.ts';
import { EdgeheadError } from '../shared/errors.ts';
import type { TrainingSet } from '../shared/head/train-head.ts';
import { AUGMENTED_VIEWS } from '../shared/image/augment.ts';
import { sha256File } from './backbone-source.ts';
import { startEmbedPool, type EmbedPool } from './embed-pool.ts';
import { runEmbedTask, type EmbedTask, type EmbedTaskResult } from './embed-task.ts';
import type { EmbeddingCache } from './embedding-cache.ts';
import type { LabelledFile } from './image-folder.ts';
import { startProgress } from './progress.ts';

export interface Example {
  file: LabelledFile;
  sha256: string;
  embedding: Float32Array;
  /** Colour histogram (when asked for), for the negative-transfer baseline. */
  histogram: Float32Array | null;
  /** Embeddings of the augmented views (when asked for), in AUGMENTED_VIEWS order. */
  views: Float32Array[];
}

export interface EmbedFolderOptions {
  quiet?: boolean;
  histograms?: boolean;
  /** Which files also get augmented views (the training split, when augmenting). */
  augment?: (file: LabelledFile) => boolean;
  label?: string;
  /** Embed on this many threads: this one (with `model`) and worker threads that build their own from `backbone`. */
  threads?: number;
  backbone?: { bytes: Uint8Array; name: string };
}

export interface EmbeddedFolder {
  examples: Example[];
  skipped: { name: string; reason: string }[];
  /** Plain embeddings found in the cache (augmented views are not counted). */
  cached: number;
  /** Images embedded now (plain views). */
  embedded: number;
}

type Outcome = { example: Example; cached: boolean } | { skipped: { name: string; reason: string } };

/** One photo: what the cache holds, then whatever is missing from `compute` (this thread or a worker). */
async function embedFile(file: LabelledFile, cache: EmbeddingCache, options: EmbedFolderOptions, compute: (task: EmbedTask) => Promise<EmbedTaskResult>): Promise<Outcome> {
  const bytes = new Uint8Array(await readFile(file.path));
  const sha256 = sha256File(bytes);
  const embedding = await cache.get(sha256);
  let views: Float32Array[] = [];
  const wantViews = Boolean(options.augment?.(file));
  if (wantViews) {
    const found = await Promise.all(AUGMENTED_VIEWS.map((view) => cache.get(`${sha256}.${view}`)));
    if (found.every((v) => v !== null)) views = found as Float32Array[];
  }
  const task: EmbedTask = { bytes, embedding: !embedding, views: wantViews && views.length === 0, histogram: Boolean(options.histograms) };
  let result: EmbedTaskResult = {};
  if (task.embedding || task.views || task.histogram) {
    try {
      result = await compute(task);
    } catch (error) {
      if (!(error instanceof EdgeheadError)) throw error;
      return { skipped: { name: file.name, reason: error.message } };
    }
  }
  if (result.embedding) await cache.put(sha256, result.embedding);
  if (result.views) await Promise.all(AUGMENTED_VIEWS.map((view, i) => cache.put(`${sha256}.${view}`, result.views![i])));
  const example = { file, sha256, embedding: (embedding ?? result.embedding)!, histogram: result.histogram ?? null, views: result.views ?? views };
  return { example, cached: embedding !== null };
}

/**
 * Embeds every file (the plain view, plus augmented views for files `augment` selects), reusing cached
 * embeddings keyed by image content and view (`image`: this process's image runtime, trainer/runtime.ts), on `threads` threads: this one plus `threads - 1` workers, started
 * only once a photo needs the backbone (a warm cache needs only histograms, done here). Results come in file order
 * and are the same bits whatever the thread count. Files that fail to decode are skipped with the reason.
 */
export async function embedFolder(
  files: LabelledFile[], model: BackboneModel, cache: EmbeddingCache, image: ImageRuntime, options: EmbedFolderOptions = {},
): Promise<EmbeddedFolder> {
  const workers = options.backbone ? Math.max(1, options.threads ?? 1) - 1 : 0;
  let pool: Promise<EmbedPool> | null = null;
  const here = async (task: EmbedTask) => runEmbedTask(task, model, image);
  const remote = async (task: EmbedTask) => (task.embedding || task.views ? (await (pool ??= startEmbedPool(options.backbone!, workers))).run(task) : here(task));
  const outcomes: Outcome[] = new Array(files.length);
  const progress = startProgress(options.label ?? 'embedding', files.length, { quiet: options.quiet });
  let next = 0;
  const lane = async (compute: (task: EmbedTask) => Promise<EmbedTaskResult>) => {
    while (next < files.length) {
      const i = next++;
      outcomes[i] = await embedFile(files[i], cache, options, compute);
      progress.tick();
    }
  };
  try {
    // One lane here; two per worker, so a worker never waits while this thread reads and hashes its next photo.
    await Promise.all([lane(here), ...Array.from({ length: workers * 2 }, () => lane(remote))]);
  } finally {
    progress.stop();
    if (pool) await (await (pool as Promise<EmbedPool>)).close();
  }
  const examples = outcomes.flatMap((o) => ('example' in o ? [o.example] : []));
  const skipped = outcomes.flatMap((o) => ('skipped' in o ? [o.skipped] : []));
  const cached = outcomes.filter((o) => 'cached' in o && o.cached).length;
  return { examples, skipped, cached, embedded: examples.length - cached };
}

/**
 * Stacks examples into a training set.
 * @param features 'embedding' (plain views), 'augmented' (plain plus augmented views) or 'histogram'
 */
export function toTrainingSet(examples: Example[], labels: string[], features: 'embedding' | 'augmented' | 'histogram' = 'embedding'): TrainingSet {
  const rows: { x: Float32Array; label: string }[] = [];
  for (const e of examples) {
    if (features === 'histogram') rows.push({ x: e.histogram!, label: e.file.label });
    else {
      rows.push({ x: e.embedding, label: e.file.label });
      if (features === 'augmented') for (const v of e.views) rows.push({ x: v, label: e.file.label });
    }
  }
  const embeddingSize = rows[0]?.x.length ?? 1;
  const embeddings = new Float32Array(rows.length * embeddingSize);
  const labelIndex = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    embeddings.set(row.x, i * embeddingSize);
    labelIndex[i] = labels.indexOf(row.label);
  });
  return { embeddings, embeddingSize, labelIndex, labels };
}
