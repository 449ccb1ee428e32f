/** Embedding a listed ImageFolder with the frozen backbone, through the on-disk cache: shared by train, evaluate and rank. */
import { readFile } from 'node:fs/promises';
import type { BackboneModel } from '../shared/backbone/backbone-model.ts';
import { embedAugmentedViews, embedImage } from '../shared/embed-image.ts';
import type { ImageRuntime } from '../shared/image/image-runtime.ts';
import { EdgeheadError } from '../shared/errors.ts';
import type { TrainingSet } from '../shared/head/train-head.ts';
import { AUGMENTED_VIEWS } from '../shared/image/augment.ts';
import { colourHistogram } from '../shared/image/colour-histogram.ts';
import { decodeImage } from '../shared/image/decode-image.ts';
import { sha256File } from './backbone-source.ts';
import type { EmbeddingCache } from './embedding-cache.ts';
import type { LabelledFile } from './image-folder.ts';
import { startProgress } from './progress.ts';

/** Images bigger than this are skipped with a warning rather than decoded. */
export const MAX_TRAINING_PIXELS = 100_000_000;
/** Histograms need few pixels: the JPEG decoder then works at 1/8 scale. */
const HISTOGRAM_MIN_SIDE = 32;

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
}

export interface EmbeddedFolder {
  examples: Example[];
  skipped: { name: string; reason: string }[];
  /** Plain embeddings found in the cache (augmented views are not counted). */
  cached: number;
  /** Images embedded now (plain views). */
  embedded: number;
}

/**
 * Embeds every file (the plain view, plus augmented views for files `augment` selects), reusing cached
 * embeddings keyed by image content and view; `image` is the process's image runtime (trainer/runtime.ts). Files that fail to decode are skipped with the reason.
 */
export async function embedFolder(
  files: LabelledFile[], model: BackboneModel, cache: EmbeddingCache, image: ImageRuntime, options: EmbedFolderOptions = {},
): Promise<EmbeddedFolder> {
  const examples: Example[] = [];
  const skipped: { name: string; reason: string }[] = [];
  let cached = 0;
  const progress = startProgress(options.label ?? 'embedding', files.length, { quiet: options.quiet });
  const limits = { maxImagePixels: MAX_TRAINING_PIXELS, runtime: image };
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(file.path));
    const sha256 = sha256File(bytes);
    try {
      let embedding = await cache.get(sha256);
      if (embedding) cached++;
      else {
        embedding = embedImage(bytes, model, limits).embedding;
        await cache.put(sha256, embedding);
      }
      let views: Float32Array[] = [];
      if (options.augment?.(file)) {
        const found = await Promise.all(AUGMENTED_VIEWS.map((view) => cache.get(`${sha256}.${view}`)));
        if (found.every((v) => v !== null)) views = found as Float32Array[];
        else {
          views = embedAugmentedViews(bytes, model, limits, AUGMENTED_VIEWS);
          await Promise.all(AUGMENTED_VIEWS.map((view, i) => cache.put(`${sha256}.${view}`, views[i])));
        }
      }
      const histogram = options.histograms ? colourHistogram(decodeImage(bytes, { maxPixels: MAX_TRAINING_PIXELS, minSide: HISTOGRAM_MIN_SIDE })) : null;
      examples.push({ file, sha256, embedding, histogram, views });
    } catch (error) {
      if (!(error instanceof EdgeheadError)) throw error;
      skipped.push({ name: file.name, reason: error.message });
    }
    progress.tick();
  }
  progress.stop();
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
