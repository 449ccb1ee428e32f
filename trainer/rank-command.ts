/** `edgehead rank`: which candidate backbone suits this labelled folder best, measured before any deployment. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { importBackboneModel } from '../shared/backbone/backbone-model.ts';
import { BadRequestError } from '../shared/errors.ts';
import { majorityBaseline, MIN_GAIN_OVER_MAJORITY } from '../shared/head/transfer.ts';
import { crossValidatedAccuracy, leaveOneOutNearestNeighbour, stratifiedFolds } from '../shared/head/transferability.ts';
import { backboneIdFor, getCurrentBackboneId, loadBackboneBytes } from '../shared/store/backbone-store.ts';
import { backboneCacheDir, KNOWN_BACKBONES, resolveBackboneSource, type BackboneSource } from './backbone-source.ts';
import { embedFolder, toTrainingSet } from './embed-folder.ts';
import { EmbeddingCache, embeddingCacheDir } from './embedding-cache.ts';
import { readImageFolder } from './image-folder.ts';
import { openModelStore } from './model-store.ts';
import { loadRuntime } from './runtime.ts';

export interface RankCommandOptions {
  data: string;
  /** Paths or URLs; empty: the defaults (see {@link defaultCandidates}). */
  backbones: string[];
  folds: number;
  seed: number;
  cacheDir?: string;
  /** Worker threads that embed the photos (default 1: this thread). */
  threads?: number;
  quiet?: boolean;
  clock?: () => number;
  log: (line: string) => void;
}

export interface RankedBackbone {
  backbone: string;
  id: string;
  /** Where it came from: the path or URL given, or "local service". */
  source: string;
  /** Training-free transferability: leave-one-out nearest-neighbour accuracy on the embeddings. */
  score: number;
  /** Cross-validated accuracy of the linear head. */
  accuracy: number;
  embeddingSize: number;
  /** Milliseconds: embedding (0 when all came from the cache), the score, the cross-validation. */
  timing_ms: { embed: number; score: number; crossValidation: number };
  cachedEmbeddings: number;
}

export interface RankResult {
  data: string;
  photos: number;
  labels: string[];
  folds: number;
  ranking: RankedBackbone[];
  baselines: { majority: number; colourHistogram: number };
  recommendation: { backbone: string; source: string; reason: string; command: string } | null;
  warning: string | null;
}

/**
 * Default candidates when no --backbone is given, without touching the network: the backbone the local
 * service serves (if one is imported), plus every known public backbone already in the download cache.
 */
export async function defaultCandidates(): Promise<string[]> {
  const found: string[] = [];
  for (const known of KNOWN_BACKBONES) {
    if (existsSync(join(backboneCacheDir(), `${known.sha256}.tflite`))) found.push(known.url);
  }
  return found;
}

/** The `source` of the candidate that is the local service's own backbone. */
const LOCAL_SERVICE = 'local service';

async function serviceBackbone(): Promise<BackboneSource | null> {
  const { kv, close } = await openModelStore({ remote: false });
  try {
    const id = await getCurrentBackboneId(kv);
    if (!id) return null;
    const { manifest, bytes } = await loadBackboneBytes(kv, id);
    return { bytes, sha256: manifest.sourceSha256, name: manifest.name, source: manifest.source, licence: manifest.licence };
  } finally {
    await close();
  }
}

/**
 * Embeds the folder (all its photos, train and val alike) with each candidate, then measures a training-free
 * score and the k-fold cross-validated accuracy of the linear head. Ranked by accuracy, then by score.
 * @throws BadRequestError when there are no candidates or a label has fewer photos than folds
 */
export async function runRankCommand(options: RankCommandOptions): Promise<RankResult> {
  const clock = options.clock ?? (() => performance.now());
  // Each candidate keeps the path or URL it was given, for the command that switches to it.
  const sources: (BackboneSource & { spec: string })[] = [];
  if (options.backbones.length > 0) {
    for (const spec of options.backbones) sources.push({ ...(await resolveBackboneSource(spec)), spec });
  } else {
    const local = await serviceBackbone();
    if (local) sources.push({ ...local, spec: LOCAL_SERVICE });
    for (const url of await defaultCandidates()) sources.push({ ...(await resolveBackboneSource(url)), spec: url });
  }
  const unique = sources.filter((s, i) => sources.findIndex((t) => t.sha256 === s.sha256) === i);
  if (unique.length === 0) {
    throw new BadRequestError('no candidate backbones: pass them with --backbone PATH|URL (repeatable); without it, rank uses the local service\'s backbone and any known backbone already downloaded', 'no_candidates');
  }
  const files = await readImageFolder(options.data);
  const labels = [...new Set(files.map((f) => f.label))].sort();
  const runtime = await loadRuntime();
  const ranking: RankedBackbone[] = [];
  let histogramAccuracy = 0;
  let majority = 0;
  let photos = 0;
  for (const [index, source] of unique.entries()) {
    const id = backboneIdFor(source.sha256);
    const model = importBackboneModel(source.bytes, { name: source.name, embeddingOnly: true, int8Kernels: runtime.int8Kernels });
    try {
      options.log(`[${index + 1}/${unique.length}] ${source.name} (${id}): embedding ${files.length} photos`);
      const cache = new EmbeddingCache(embeddingCacheDir(options.cacheDir), id, model.spec.embeddingSize, model.engine);
      const t0 = clock();
      const embedded = await embedFolder(files, model, cache, runtime.image, { quiet: options.quiet, histograms: index === 0, label: source.name, threads: options.threads, backbone: source });
      const t1 = clock();
      const set = toTrainingSet(embedded.examples, labels);
      const keys = embedded.examples.map((e) => e.sha256);
      checkFolds(set.labelIndex, labels, options.folds);
      const fold = stratifiedFolds(set.labelIndex, keys, options.folds, options.seed);
      const score = leaveOneOutNearestNeighbour(set);
      const t2 = clock();
      const accuracy = crossValidatedAccuracy(set, fold, { seed: options.seed });
      const t3 = clock();
      if (index === 0) {
        photos = embedded.examples.length;
        const histograms = toTrainingSet(embedded.examples, labels, 'histogram');
        histogramAccuracy = crossValidatedAccuracy(histograms, fold, { seed: options.seed });
        majority = majorityOutOfFold(set.labelIndex, fold);
      }
      ranking.push({
        backbone: source.name,
        id,
        source: source.spec,
        score,
        accuracy,
        embeddingSize: model.spec.embeddingSize,
        timing_ms: { embed: Math.round(t1 - t0), score: Math.round(t2 - t1), crossValidation: Math.round(t3 - t2) },
        cachedEmbeddings: embedded.cached,
      });
    } finally {
      model.dispose();
    }
  }
  ranking.sort((a, b) => b.accuracy - a.accuracy || b.score - a.score || (a.backbone < b.backbone ? -1 : 1));
  const best = ranking[0];
  const warning = rankWarning(best, majority, histogramAccuracy);
  return {
    data: options.data,
    photos,
    labels,
    folds: options.folds,
    ranking,
    baselines: { majority, colourHistogram: histogramAccuracy },
    recommendation: { backbone: best.backbone, source: best.source, reason: recommendationReason(ranking), command: switchCommand(options.data, best) },
    warning,
  };
}

function checkFolds(labelIndex: Int32Array, labels: string[], folds: number): void {
  const counts = new Array<number>(labels.length).fill(0);
  for (const y of labelIndex) counts[y]++;
  const small = labels.filter((_, c) => counts[c] < folds);
  if (small.length > 0) {
    throw new BadRequestError(`${folds}-fold cross-validation needs at least ${folds} photos per label; too few for ${small.join(', ')} (use --folds 2, or add photos)`, 'too_few_photos');
  }
}

/** Majority-class accuracy measured out of fold, like the heads. */
function majorityOutOfFold(labelIndex: Int32Array, fold: Int32Array): number {
  const folds = Math.max(...fold) + 1;
  let hits = 0;
  for (let f = 0; f < folds; f++) {
    const train = labelIndex.filter((_, i) => fold[i] !== f);
    const test = labelIndex.filter((_, i) => fold[i] === f);
    hits += majorityBaseline(train, test) * test.length;
  }
  return hits / labelIndex.length;
}

function rankWarning(best: RankedBackbone, majority: number, histogram: number): string | null {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  if (best.accuracy < histogram) {
    return `negative transfer: even the best backbone (${best.backbone}, ${pct(best.accuracy)}) does worse than a head on plain colour histograms (${pct(histogram)}); none of these source domains suits these photos`;
  }
  if (best.accuracy < majority + MIN_GAIN_OVER_MAJORITY * (1 - majority)) {
    return `weak transfer: the best backbone (${best.backbone}, ${pct(best.accuracy)}) is barely above always answering the most common label (${pct(majority)}); none of these source domains suits these photos well`;
  }
  return null;
}

function recommendationReason(ranking: RankedBackbone[]): string {
  const [best, next] = ranking;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const bestScore = Math.max(...ranking.map((r) => r.score));
  const agree = best.score === bestScore ? 'the training-free nearest-neighbour score agrees' : `although ${ranking.find((r) => r.score === bestScore)!.backbone} has the best nearest-neighbour score (${pct(bestScore)} vs ${pct(best.score)})`;
  if (!next) return `the only candidate: ${pct(best.accuracy)} cross-validated accuracy`;
  const margin = best.accuracy - next.accuracy;
  const closeness = margin < 0.01 ? `; ${next.backbone} is within a point (${pct(next.accuracy)}), so either will do` : ` vs ${pct(next.accuracy)} for ${next.backbone}`;
  return `highest cross-validated accuracy of a linear head, ${pct(best.accuracy)}${closeness}; ${agree}`;
}

function switchCommand(data: string, best: RankedBackbone): string {
  const quote = (s: string) => (/^[\w./:@#=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  // Training with --backbone imports it, publishes the head and so switches what the service runs, in one command.
  if (best.source === LOCAL_SERVICE) return `npx edgehead train --data ${quote(data)}  (the service already runs it)`;
  return `npx edgehead train --data ${quote(data)} --backbone ${quote(best.source)}`;
}

/** The readable table the CLI prints by default. */
export function formatRanking(r: RankResult): string {
  const name = Math.max(8, ...r.ranking.map((x) => x.backbone.length));
  const lines = [
    `${r.photos} photos, labels ${r.labels.join(', ')}; ${r.folds}-fold cross-validation`,
    '',
    `${'#'.padStart(2)}  ${'backbone'.padEnd(name)}  ${'CV acc'.padStart(7)}  ${'1-NN'.padStart(7)}  ${'dims'.padStart(5)}  ${'embed s'.padStart(8)}  ${'score s'.padStart(8)}  ${'CV s'.padStart(7)}`,
  ];
  r.ranking.forEach((x, i) => {
    const s = (ms: number) => (ms / 1000).toFixed(1);
    lines.push(
      `${String(i + 1).padStart(2)}  ${x.backbone.padEnd(name)}  ${x.accuracy.toFixed(4).padStart(7)}  ${x.score.toFixed(4).padStart(7)}  ${String(x.embeddingSize).padStart(5)}  ${s(x.timing_ms.embed).padStart(8)}  ${s(x.timing_ms.score).padStart(8)}  ${s(x.timing_ms.crossValidation).padStart(7)}`,
    );
  });
  lines.push('', `baselines: majority label ${r.baselines.majority.toFixed(4)}, colour histogram ${r.baselines.colourHistogram.toFixed(4)} (cross-validated)`);
  if (r.recommendation) lines.push(`recommended: ${r.recommendation.backbone}: ${r.recommendation.reason}`, `switch the service to it: ${r.recommendation.command}`);
  if (r.warning) lines.push(`WARNING: ${r.warning}`);
  return lines.join('\n');
}
