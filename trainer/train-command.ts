/** `edgehead train`: embed an ImageFolder with the frozen backbone, train a head, report, publish. */
import { basename, resolve } from 'node:path';
import { importBackboneModel, type BackboneModel } from '../shared/backbone/backbone-model.ts';
import { BadRequestError, NotReadyError } from '../shared/errors.ts';
import { calibrateHead } from '../shared/head/calibrate-head.ts';
import { majorityBaseline, transferWarning } from '../shared/head/transfer.ts';
import type { Head } from '../shared/head/head-types.ts';
import { evaluateHead, formatMetrics, type HeadMetrics } from '../shared/head/metrics.ts';
import { stratifiedSplit } from '../shared/head/split.ts';
import { trainHead } from '../shared/head/train-head.ts';
import { trainMlpHead } from '../shared/head/train-mlp.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import { backboneIdFor, getCurrentBackboneId, loadBackboneBytes } from '../shared/store/backbone-store.ts';
import { publishHead, type CalibrationSummary, type HeadManifest, type TransferSummary } from '../shared/store/head-store.ts';
import { importBackbone } from '../shared/store/import-backbone.ts';
import { resolveBackboneSource, type BackboneSource } from './backbone-source.ts';
import { EmbeddingCache, embeddingCacheDir } from './embedding-cache.ts';
import { embedFolder, toTrainingSet, type Example } from './embed-folder.ts';
import { AUGMENTED_VIEWS } from '../shared/image/augment.ts';
import { readImageFolder, type LabelledFile } from './image-folder.ts';
import { openModelStore, type OpenStore } from './model-store.ts';
import { formatSuspects, listFolderSuspects, type FolderSuspect } from './suspect-listing.ts';
import { loadRuntime } from './runtime.ts';
import type { Runtime } from '../shared/runtime.ts';

export interface TrainCommandOptions {
  data: string;
  /** path or URL; default: the backbone the local service serves */
  backbone?: string;
  sha256?: string;
  seed: number;
  l2?: number;
  valFraction: number;
  publish: boolean;
  remote: boolean;
  cacheDir?: string;
  /** Worker threads that embed the photos (default 1: this thread). */
  threads?: number;
  quiet?: boolean;
  /** Train also on augmented views (flips, crops) of the training photos. */
  augment?: boolean;
  /** 'linear' (default): softmax regression; 'mlp': one hidden layer; 'auto': whichever validates better. */
  headKind?: 'linear' | 'mlp' | 'auto';
  /** A label that means "none of the others" (classify answers null when it wins). */
  backgroundLabel?: string;
  /** the named model the head is published for (registered when missing); default `default` */
  model?: string;
  log: (line: string) => void;
}

export interface TrainCommandResult {
  backboneId: string;
  labels: string[];
  train: number;
  val: number;
  skipped: { name: string; reason: string }[];
  embedded: number;
  cached: number;
  augmented: boolean;
  metrics: HeadMetrics | null;
  calibration: CalibrationSummary | null;
  transfer: TransferSummary | null;
  head: Head;
  published: HeadManifest | null;
  /** Photos whose label the model confidently contradicts (out-of-fold), most suspect first. */
  suspects: FolderSuspect[];
  /** Milliseconds spent embedding the folder (cache reads included). */
  embedMs: number;
}

async function chooseBackbone(options: TrainCommandOptions, store: () => Promise<OpenStore>): Promise<BackboneSource> {
  if (options.backbone) return resolveBackboneSource(options.backbone, { sha256: options.sha256 });
  const { kv, where } = await store();
  const id = await getCurrentBackboneId(kv);
  if (!id) {
    throw new NotReadyError(
      `no backbone in ${where}: run \`npm start\` once (it imports one), or pass --backbone PATH|URL`,
      'no_backbone',
    );
  }
  const { manifest, bytes } = await loadBackboneBytes(kv, id);
  return { bytes, sha256: manifest.sourceSha256, name: manifest.name, source: manifest.source, licence: manifest.licence };
}

/** Share of the training photos held out for the hidden-layer head's early stopping. */
const EARLY_STOPPING_FRACTION = 0.15;

/** Trains the hidden-layer head, early-stopped on a slice of the training photos (validation stays untouched). */
function trainMlp(train: Example[], labels: string[], options: TrainCommandOptions) {
  const { train: fit, val: stop } = stratifiedSplit(train, { labelOf: (e) => e.file.label, keyOf: (e) => e.sha256, valFraction: EARLY_STOPPING_FRACTION, seed: options.seed + 1 });
  if (stop.length === 0 || new Set(fit.map((e) => e.file.label)).size < labels.length) {
    throw new BadRequestError('too few training photos for a hidden-layer head (it needs some held out for early stopping); use --head linear', 'too_few_photos');
  }
  return trainMlpHead(toTrainingSet(fit, labels, options.augment ? 'augmented' : 'embedding'), { seed: options.seed, validation: toTrainingSet(stop, labels) });
}

/** Majority-class and colour-histogram baselines on the same split, and the warning when the head barely beats them. */
function measureTransfer(train: Example[], val: Example[], labels: string[], accuracy: number, backbone: string, seed: number): TransferSummary {
  const trainLabels = toTrainingSet(train, labels, 'histogram');
  const valLabels = toTrainingSet(val, labels, 'histogram');
  const majority = majorityBaseline(trainLabels.labelIndex, valLabels.labelIndex);
  const present = new Set(trainLabels.labelIndex);
  // A label with no training photo cannot be trained on; the histogram baseline then is not measured.
  const histogram = present.size === labels.length ? evaluateHead(trainHead(trainLabels, { seed }).head, valLabels).accuracy : null;
  return { accuracy, majorityBaseline: majority, colourHistogramBaseline: histogram, warning: transferWarning(accuracy, majority, histogram, backbone) };
}

export function formatCalibration(c: CalibrationSummary): string {
  const thresholds = Object.entries(c.thresholds).map(([label, t]) => `${label} ${t.toFixed(3)}`).join(', ');
  return `calibration: temperature ${c.temperature.toFixed(3)}, ECE ${c.eceBefore.toFixed(4)} -> ${c.eceAfter.toFixed(4)}; unknown below: ${thresholds}`;
}

export function formatTransfer(t: TransferSummary): string {
  const hist = t.colourHistogramBaseline === null ? 'n/a' : t.colourHistogramBaseline.toFixed(4);
  const line = `baselines: majority label ${t.majorityBaseline.toFixed(4)}, colour histogram ${hist}; head ${t.accuracy.toFixed(4)}`;
  return t.warning ? `${line}\nWARNING: ${t.warning}` : line;
}

/** Embeds the folder's photos (through the embedding cache), with augmented views of the training ones if asked. */
async function embedTrainingFolder(
  files: LabelledFile[], hasSplit: boolean, model: BackboneModel, runtime: Runtime,
  source: BackboneSource, backboneId: string, options: TrainCommandOptions,
) {
  const cache = new EmbeddingCache(embeddingCacheDir(options.cacheDir), backboneId, model.spec.embeddingSize, model.engine);
  const embedStarted = performance.now();
  const embedded = await embedFolder(files, model, cache, runtime.image, {
    quiet: options.quiet,
    threads: options.threads,
    backbone: source,
    histograms: true,
    // Without folders the split is known only after hashing, so every photo gets its views (validation ignores them).
    augment: options.augment ? (file) => !hasSplit || file.split === 'train' : undefined,
  });
  const embedMs = Math.round(performance.now() - embedStarted);
  const { examples, skipped, cached } = embedded;
  for (const skip of skipped) options.log(`skipped ${skip.name}: ${skip.reason}`);
  const rate = (files.length / Math.max(embedMs / 1000, 1e-3)).toFixed(1);
  options.log(`embedded ${examples.length - cached} images, ${cached} from the cache${options.augment ? ` (plus ${AUGMENTED_VIEWS.length} augmented views of each training image)` : ''} in ${(embedMs / 1000).toFixed(1)} s (${rate} images/s on ${options.threads ?? 1} thread(s))`);
  return { ...embedded, embedMs };
}

/**
 * Trains the hidden-layer head when asked (`mlp`) or when `auto` has validation photos to compare on, and keeps it
 * if it was asked for or wins: higher validation accuracy, or the same with a lower log loss. Else the linear head stays.
 */
function chooseHead(
  linear: Head, linearMetrics: HeadMetrics | null, train: Example[], valSet: ReturnType<typeof toTrainingSet>,
  labels: string[], options: TrainCommandOptions,
) {
  const kept = { head: linear, metrics: linearMetrics, headKind: 'linear' as 'linear' | 'mlp', mlpInfo: null as Record<string, unknown> | null };
  if (!(options.headKind === 'mlp' || (options.headKind === 'auto' && linearMetrics))) return kept;
  const mlp = trainMlp(train, labels, options);
  const mlpMetrics = linearMetrics ? evaluateHead(mlp.head, valSet) : null;
  kept.mlpInfo = { epochs: mlp.epochs, bestEpoch: mlp.bestEpoch, valAccuracy: mlpMetrics?.accuracy ?? null, linearValAccuracy: linearMetrics?.accuracy ?? null };
  const better = linearMetrics && mlpMetrics && (mlpMetrics.accuracy > linearMetrics.accuracy || (mlpMetrics.accuracy === linearMetrics.accuracy && mlpMetrics.logLoss < linearMetrics.logLoss));
  options.log(`one-hidden-layer head: ${mlp.epochs} epochs (best ${mlp.bestEpoch})${mlpMetrics ? `, val accuracy ${mlpMetrics.accuracy.toFixed(4)} vs linear ${linearMetrics!.accuracy.toFixed(4)}` : ''}`);
  if (options.headKind === 'mlp' || better) {
    kept.head = mlp.head;
    kept.metrics = mlpMetrics;
    kept.headKind = 'mlp';
  }
  options.log(`head chosen: ${kept.headKind === 'mlp' ? 'one hidden layer' : 'softmax regression'}`);
  return kept;
}

/** Publishes the trained head (importing the backbone first when it came from --backbone) into the opened store. */
async function publishTrained(
  { kv, where, ensureModel }: OpenStore, options: TrainCommandOptions, source: BackboneSource, head: Head,
  info: Parameters<typeof publishHead>[2],
): Promise<HeadManifest> {
  if (options.backbone) await importBackbone(kv, source.bytes, source, new Date());
  const model = options.model ?? DEFAULT_MODEL;
  if (model !== DEFAULT_MODEL) await ensureModel(model);
  const published = await publishHead(kv, head, info, new Date(), model);
  options.log(`published head ${published.version} of model ${model} to ${where}; the service serves it from its next request`);
  return published;
}

/**
 * Runs the whole training job. Publishing writes into the local state `npm start` serves (or, with
 * `remote`, the deployed namespace); the running service picks the new head up on its next request.
 */
export async function runTrainCommand(options: TrainCommandOptions): Promise<TrainCommandResult> {
  let opened: Promise<OpenStore> | undefined;
  const store = () => (opened ??= openModelStore({ remote: options.remote }));
  try {
    const source = await chooseBackbone(options, store);
    const runtime = await loadRuntime();
    const model = importBackboneModel(source.bytes, { name: source.name, embeddingOnly: true, int8Kernels: runtime.int8Kernels });
    const backboneId = backboneIdFor(source.sha256);
    try {
      const files = await readImageFolder(options.data);
      options.log(`backbone ${source.name} (${backboneId}), ${model.spec.embeddingSize}-d embeddings; ${files.length} images in ${options.data}`);
      const hasSplit = files.some((f) => f.split === 'val');
      const { examples, skipped, cached, embedMs } = await embedTrainingFolder(files, hasSplit, model, runtime, source, backboneId, options);

      const { train, val } = hasSplit
        ? { train: examples.filter((e) => e.file.split === 'train'), val: examples.filter((e) => e.file.split === 'val') }
        : stratifiedSplit(examples, { labelOf: (e) => e.file.label, keyOf: (e) => e.sha256, valFraction: options.valFraction, seed: options.seed });
      const labels = [...new Set(examples.map((e) => e.file.label))].sort();
      const trainingSet = toTrainingSet(train, labels, options.augment ? 'augmented' : 'embedding');
      if (options.backgroundLabel && !labels.includes(options.backgroundLabel)) {
        throw new BadRequestError(`--background-label ${options.backgroundLabel} is not one of the labels (${labels.join(', ')})`, 'bad_argument');
      }
      const result = trainHead(trainingSet, { seed: options.seed, l2: options.l2 });
      let head = result.head;
      const valSet = toTrainingSet(val, labels);
      let metrics = val.length > 0 ? evaluateHead(head, valSet) : null;
      options.log(`trained on ${train.length} images (${labels.join(', ')}) in ${result.iterations} iterations`);
      let headKind: 'linear' | 'mlp';
      let mlpInfo: Record<string, unknown> | null;
      ({ head, metrics, headKind, mlpInfo } = chooseHead(head, metrics, train, valSet, labels, options));
      options.log(metrics ? formatMetrics(metrics, labels) : 'no validation images: nothing to report');
      let calibration: CalibrationSummary | null = null;
      let transfer: TransferSummary | null = null;
      if (metrics) {
        ({ head, summary: calibration } = calibrateHead(head, valSet, { rows: trainingSet.embeddings, labelIndex: trainingSet.labelIndex }));
        options.log(formatCalibration(calibration));
        transfer = measureTransfer(train, val, labels, metrics.accuracy, source.name, options.seed);
        options.log(formatTransfer(transfer));
      }

      const suspects = listFolderSuspects(examples, labels, options.seed);
      options.log(formatSuspects(suspects));

      const published = options.publish
        ? await publishTrained(await store(), options, source, head, {
          backboneId,
          metrics,
          calibration: calibration ?? undefined,
          transfer: transfer ?? undefined,
          backgroundLabel: options.backgroundLabel ?? null,
          training: {
            by: 'cli',
            data: basename(resolve(options.data)),
            seed: options.seed,
            l2: options.l2 ?? null,
            iterations: result.iterations,
            train: train.length,
            augmentedViews: options.augment ? [...AUGMENTED_VIEWS] : [],
            head: headKind,
            mlp: mlpInfo,
            val: val.length,
            split: hasSplit ? 'folders' : `stratified ${options.valFraction}`,
          },
        })
        : null;
      return { backboneId, labels, train: train.length, val: val.length, skipped, embedded: examples.length - cached, cached, augmented: Boolean(options.augment), metrics, calibration, transfer, head, published, suspects, embedMs };
    } finally {
      model.dispose();
    }
  } finally {
    if (opened) await (await opened).close();
  }
}
