/** `edgehead evaluate`: score the serving head on a labelled folder and write an HTML + JSON report. */
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { importBackboneModel } from '../shared/backbone/backbone-model.ts';
import { BadRequestError, NotReadyError } from '../shared/errors.ts';
import { calibrationReport } from '../shared/head/calibration.ts';
import { evaluateHead, formatMetrics } from '../shared/head/metrics.ts';
import { crossFitCalibration } from '../shared/head/cross-fit-calibration.ts';
import { oodScores } from '../shared/head/ood.ts';
import { headLogits, predictHead, rankPredictions } from '../shared/head/predict-head.ts';
import { decide } from '../shared/head/unknown.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import { loadBackboneBytes } from '../shared/store/backbone-store.ts';
import type { Head } from '../shared/head/head-types.ts';
import { getCurrentHeadPointer, loadHead } from '../shared/store/head-store.ts';
import type { KvLike } from '../shared/store/kv-like.ts';
import { embedFolder, toTrainingSet, type Example } from './embed-folder.ts';
import { EmbeddingCache, embeddingCacheDir } from './embedding-cache.ts';
import { readImageFolder } from './image-folder.ts';
import { openModelStore } from './model-store.ts';
import { renderReportHtml, type EvaluationReport } from './report-html.ts';
import { loadRuntime } from './runtime.ts';

export interface EvaluateCommandOptions {
  data: string;
  remote: boolean;
  /** the named model whose serving head is scored; default `default` */
  model?: string;
  /** Folder the report goes to (report.json, report.html); created if needed. */
  out: string;
  cacheDir?: string;
  /** Worker threads that embed the photos (default 1: this thread). */
  threads?: number;
  quiet?: boolean;
  now?: Date;
  log: (line: string) => void;
}

export interface EvaluateCommandResult {
  report: EvaluationReport;
  jsonPath: string;
  htmlPath: string;
}

/**
 * Loads the head `head/current` points at (and its own backbone), embeds DIR's val split (or all of DIR),
 * and measures it: the metrics of the served head, calibration, unknown rate, the photos it gets wrong.
 * @throws NotReadyError when nothing is published, BadRequestError when DIR has labels the head does not know
 */
export async function runEvaluateCommand(options: EvaluateCommandOptions): Promise<EvaluateCommandResult> {
  const { kv, where, close } = await openModelStore({ remote: options.remote });
  try {
    const { manifest, head } = await loadServingHead(kv, where, options.model ?? DEFAULT_MODEL);
    const backbone = await loadBackboneBytes(kv, manifest.backboneId);
    const all = await readImageFolder(options.data);
    const split = all.some((f) => f.split === 'val') ? 'val' : 'all';
    const files = split === 'val' ? all.filter((f) => f.split === 'val') : all;
    const unknownLabels = [...new Set(files.map((f) => f.label))].filter((l) => !head.labels.includes(l));
    if (unknownLabels.length > 0) {
      throw new BadRequestError(
        `${options.data} has label folders the serving head ${manifest.version} does not know: ${unknownLabels.join(', ')} (it knows ${head.labels.join(', ')})`,
        'unknown_labels',
      );
    }
    const runtime = await loadRuntime();
    const model = importBackboneModel(backbone.bytes, { name: backbone.manifest.name, embeddingOnly: true, int8Kernels: runtime.int8Kernels });
    try {
      options.log(`evaluating head ${manifest.version} of ${where} (backbone ${backbone.manifest.name}) on ${files.length} photos of ${options.data}${split === 'val' ? ' (val split)' : ''}`);
      const cache = new EmbeddingCache(embeddingCacheDir(options.cacheDir), manifest.backboneId, model.spec.embeddingSize, model.engine);
      const { examples, skipped } = await embedFolder(files, model, cache, runtime.image, { quiet: options.quiet, threads: options.threads, backbone: { bytes: backbone.bytes, name: backbone.manifest.name } });
      for (const skip of skipped) options.log(`skipped ${skip.name}: ${skip.reason}`);
      if (examples.length === 0) throw new BadRequestError(`no photo of ${options.data} could be decoded`, 'bad_data_dir');
      const set = toTrainingSet(examples, head.labels);
      const metrics = evaluateHead(head, set);
      const k = head.labels.length;
      const probabilities = predictHead(head, set.embeddings, examples.length);
      const uncalibrated = predictHead({ ...head, temperature: 1 }, set.embeddings, examples.length);
      // The served temperature was fitted on the training run's held-out photos, which may be these very photos:
      // its ECE here is in-sample. The headline ECE is cross-fitted (each photo scored by a temperature fitted
      // on the other fold), so no photo is scored by a temperature that saw it.
      const crossFit = examples.length >= CALIBRATION_FOLDS ? crossFitCalibration(headLogits(head, set.embeddings, examples.length), set.labelIndex, k, CALIBRATION_FOLDS) : null;
      const calibration = calibrationReport(crossFit?.probabilities ?? probabilities, set.labelIndex, k);
      const out = resolve(options.out);
      const ood = head.ood ? oodScores(head, set.embeddings, examples.length) : undefined;
      const { unknown, acceptedRight, misclassified } = scoreDecisions(head, manifest.backgroundLabel, examples, probabilities, ood);
      await mkdir(out, { recursive: true });
      await copyMisclassified(misclassified, out);
      const now = options.now ?? new Date();
      const warnings = manifest.transfer?.warning ? [manifest.transfer.warning] : [];
      const report: EvaluationReport = {
        createdAt: now.toISOString(),
        data: options.data,
        split,
        head: { version: manifest.version, labels: head.labels, temperature: head.temperature, trainedAt: manifest.trainedAt },
        backbone: { id: manifest.backboneId, name: backbone.manifest.name },
        n: examples.length,
        accuracy: metrics.accuracy,
        balancedAccuracy: metrics.balancedAccuracy,
        macroF1: metrics.macroF1,
        logLoss: metrics.logLoss,
        ece: calibration.ece,
        eceServed: calibrationReport(probabilities, set.labelIndex, k).ece,
        eceUncalibrated: calibrationReport(uncalibrated, set.labelIndex, k).ece,
        calibrationFolds: (crossFit?.folds ?? []).map((f) => ({
          temperature: f.temperature,
          fittedOn: f.fittedOn.map((i) => examples[i].file.name),
          scoredOn: f.scoredOn.map((i) => examples[i].file.name),
        })),
        sources: describeSources(split, examples.length, crossFit !== null),
        perClass: metrics.perClass,
        confusion: metrics.confusion,
        reliability: calibration.bins,
        unknown: { count: unknown, rate: unknown / examples.length, acceptedAccuracy: unknown < examples.length ? acceptedRight / (examples.length - unknown) : null },
        misclassified,
        warnings,
      };
      const jsonPath = join(out, 'report.json');
      const htmlPath = join(out, 'report.html');
      await writeAtomically(jsonPath, JSON.stringify(report, null, 2) + '\n');
      await writeAtomically(htmlPath, renderReportHtml(report));
      if (!options.quiet) options.log(formatMetrics(metrics, head.labels));
      return { report, jsonPath, htmlPath };
    } finally {
      model.dispose();
    }
  } finally {
    await close();
  }
}

const CALIBRATION_FOLDS = 2;

/** The head `head/current` of model `named` points at. @throws NotReadyError when none is published */
async function loadServingHead(kv: KvLike, where: string, named: string) {
  const pointer = await getCurrentHeadPointer(kv, named);
  if (!pointer) {
    const train = named === DEFAULT_MODEL ? 'npx edgehead train --data DIR' : `npx edgehead train --model ${named} --data DIR`;
    throw new NotReadyError(`no head is published${named === DEFAULT_MODEL ? '' : ` for model ${named}`} in ${where}: train one with \`${train}\``, 'no_head');
  }
  return loadHead(kv, pointer.version, named);
}

/**
 * What the served decision rule does with each photo: how many it answers unknown, how many of the rest are
 * right, and the photos whose top label is wrong, most confident first.
 */
function scoreDecisions(
  head: Head, backgroundLabel: string | null | undefined, examples: Example[], probabilities: Float32Array, ood: Float64Array | undefined,
) {
  const k = head.labels.length;
  let unknown = 0;
  let acceptedRight = 0;
  const misclassified: EvaluationReport['misclassified'] = [];
  examples.forEach((example, i) => {
    const ranked = rankPredictions(head, probabilities.subarray(i * k, (i + 1) * k));
    const decision = decide(head, ranked, undefined, backgroundLabel, ood?.[i]);
    if (decision.label === null) unknown++;
    else if (decision.label === example.file.label) acceptedRight++;
    if (ranked[0].label !== example.file.label) {
      misclassified.push({ name: example.file.name, href: example.file.path, label: example.file.label, predicted: ranked[0].label, score: ranked[0].score });
    }
  });
  misclassified.sort((a, b) => b.score - a.score);
  return { unknown, acceptedRight, misclassified };
}

/** Which photos each figure of the report comes from (shown under each figure and kept in report.json). */
function describeSources(split: 'val' | 'all', n: number, crossFitted: boolean): EvaluationReport['sources'] {
  const photos = `${split === 'val' ? "the folder's val split" : 'every photo of the folder'} (${n} photos)`;
  const scored = `${photos}, scored by the served head with its own temperature and thresholds`;
  return {
    accuracy: scored,
    perLabel: scored,
    confusion: scored,
    unknown: `${photos}, with the served head's per-label thresholds and out-of-distribution threshold (when it has one)`,
    misclassified: `${photos}, top answer of the served head differs from the folder label`,
    calibration: crossFitted
      ? `${photos}, cross-fitted in ${CALIBRATION_FOLDS} folds stratified by label: each photo is scored by a temperature fitted on the other fold only, never on itself (the served temperature was fitted on the training run's held-out photos, which may be these photos, so its ECE here is in-sample)`
      : `${photos}, too few to cross-fit: scored with the served temperature, which may have been fitted on these photos`,
  };
}

/** Copies the misclassified photos beside the report (photos/...) and points the links there, so the report folder can be moved or shared as a whole. */
async function copyMisclassified(misclassified: EvaluationReport['misclassified'], out: string): Promise<void> {
  const dir = join(out, 'photos');
  await mkdir(dir, { recursive: true });
  for (const [i, m] of misclassified.entries()) {
    const file = `${String(i).padStart(4, '0')}-${m.name.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
    await copyFile(m.href, join(dir, file));
    m.href = `photos/${encodeURIComponent(file)}`;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, text);
  await rename(partial, path);
}

/** The readable summary the CLI prints by default. */
export function formatEvaluation(r: EvaluationReport, paths: { htmlPath: string; jsonPath: string }): string {
  const lines = [
    `head ${r.head.version} on ${r.data} (${r.split === 'val' ? 'val split' : 'all photos'}, ${r.n} photos)`,
    `accuracy ${r.accuracy.toFixed(4)}  balanced ${r.balancedAccuracy.toFixed(4)}  macro F1 ${r.macroF1.toFixed(4)}`,
    `ECE ${r.ece.toFixed(4)} cross-fitted (temperature fitted on the other fold of these photos); served temperature ${r.head.temperature.toFixed(3)}: ${r.eceServed.toFixed(4)} in-sample, at temperature 1: ${r.eceUncalibrated.toFixed(4)}`,
    `unknown ${r.unknown.count}/${r.n}${r.unknown.acceptedAccuracy === null ? '' : `; accuracy of the rest ${r.unknown.acceptedAccuracy.toFixed(4)}`}`,
    `misclassified ${r.misclassified.length}`,
    ...r.warnings.map((w) => `WARNING: ${w}`),
    `report: ${paths.htmlPath} and ${paths.jsonPath}`,
  ];
  return lines.join('\n');
}
