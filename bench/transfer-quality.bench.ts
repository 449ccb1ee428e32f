/**
 * Transfer-quality targets on the real fixture data sets (../shared/datasets), with the four source-domain
 * backbones of ../shared/backbones. Not a timed test: run with `npm run bench:quality` (bench/run-all.ts runs
 * every bench/*.bench.ts). Embeddings go through the on-disk cache, so only the first run embeds.
 *
 * Targets (issue 5):
 *  - mobilenet_v2_1.0_224_quant validation accuracy >= 0.967 on hymenoptera and >= 0.985 on catsdogs;
 *  - ECE after calibration <= 0.05 on both;
 *  - on each data set, `rank` puts first a backbone whose trained head is within 1 point of the best.
 * Writes bench/quality-results.json and the "Transfer quality" section of BENCHMARKS.md; exits 1 on a miss.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runRankCommand } from '../trainer/rank-command.ts';
import { runTrainCommand, type TrainCommandResult } from '../trainer/train-command.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '../shared');
const BACKBONES = ['mobilenet_v2_1.0_224_quant', 'mobilenet_v1_0.5_160_quant', 'mobilenet_v2_1.0_224_inat_insect_quant', 'mobilenet_v2_1.0_224_inat_bird_quant'];
const TARGET_BACKBONE = 'mobilenet_v2_1.0_224_quant';
const ACCURACY_TARGETS: Record<string, number> = { hymenoptera: 0.967, catsdogs: 0.985 };
const MAX_ECE = 0.05;
const RANK_TOLERANCE = 0.01;

const quiet = () => {};
const backbonePath = (name: string) => join(SHARED, 'backbones', `${name}.tflite`);

async function train(data: string, backbone: string, augment: boolean): Promise<TrainCommandResult> {
  return runTrainCommand({ data, backbone: backbonePath(backbone), seed: 42, valFraction: 0.2, publish: false, remote: false, quiet: true, augment, log: quiet });
}

interface DatasetResult {
  dataset: string;
  heads: { backbone: string; valAccuracy: number; eceBefore: number; eceAfter: number; temperature: number; warning: string | null }[];
  target: { backbone: string; augmented: boolean; valAccuracy: number; plainValAccuracy: number; eceBefore: number; eceAfter: number; accuracyTarget: number; pass: boolean };
  rank: { ranking: { backbone: string; score: number; accuracy: number }[]; first: string; firstValAccuracy: number; bestValAccuracy: number; pass: boolean; seconds: number };
}

async function benchDataset(dataset: string): Promise<DatasetResult> {
  const data = join(SHARED, 'datasets', dataset);
  const heads: DatasetResult['heads'] = [];
  for (const backbone of BACKBONES) {
    const result = await train(data, backbone, false);
    heads.push({
      backbone,
      valAccuracy: result.metrics!.accuracy,
      eceBefore: result.calibration!.eceBefore,
      eceAfter: result.calibration!.eceAfter,
      temperature: result.calibration!.temperature,
      warning: result.transfer?.warning ?? null,
    });
    console.error(`${dataset} ${backbone}: val accuracy ${result.metrics!.accuracy.toFixed(4)}, ECE ${result.calibration!.eceBefore.toFixed(4)} -> ${result.calibration!.eceAfter.toFixed(4)}`);
  }
  // The target recipe: the ImageNet MobileNetV2 with augmented training views.
  const augmented = await train(data, TARGET_BACKBONE, true);
  const plain = heads.find((h) => h.backbone === TARGET_BACKBONE)!;
  const accuracyTarget = ACCURACY_TARGETS[dataset] ?? 0;
  const valAccuracy = augmented.metrics!.accuracy;
  const target = {
    backbone: TARGET_BACKBONE,
    augmented: true,
    valAccuracy,
    plainValAccuracy: plain.valAccuracy,
    eceBefore: augmented.calibration!.eceBefore,
    eceAfter: augmented.calibration!.eceAfter,
    accuracyTarget,
    pass: valAccuracy >= accuracyTarget && augmented.calibration!.eceAfter <= MAX_ECE,
  };
  console.error(`${dataset} target: ${TARGET_BACKBONE} + augmented views: val accuracy ${valAccuracy.toFixed(4)} (>= ${accuracyTarget}), ECE after ${target.eceAfter.toFixed(4)} (<= ${MAX_ECE})`);

  const started = performance.now();
  const rank = await runRankCommand({ data, backbones: BACKBONES.map(backbonePath), folds: 5, seed: 42, quiet: true, log: quiet });
  const seconds = (performance.now() - started) / 1000;
  const first = rank.ranking[0].backbone;
  const firstValAccuracy = heads.find((h) => h.backbone === first)!.valAccuracy;
  const bestValAccuracy = Math.max(...heads.map((h) => h.valAccuracy));
  console.error(`${dataset} rank: first ${first} (its head: ${firstValAccuracy.toFixed(4)}; best head ${bestValAccuracy.toFixed(4)})`);
  return {
    dataset,
    heads,
    target,
    rank: {
      ranking: rank.ranking.map(({ backbone, score, accuracy }) => ({ backbone, score, accuracy })),
      first,
      firstValAccuracy,
      bestValAccuracy,
      pass: firstValAccuracy >= bestValAccuracy - RANK_TOLERANCE,
      seconds,
    },
  };
}

function markdown(results: DatasetResult[], when: string): string {
  const f = (x: number) => x.toFixed(4);
  const lines = [
    '## Transfer quality',
    '',
    `Measured by \`npm run bench:quality\` (bench/transfer-quality.bench.ts) on ${when}. Validation split of each`,
    'data set; heads trained with the default recipe (softmax regression, l2 3e-3, seed 42); ECE with 10 bins,',
    'after temperature scaling fitted on the same validation split. Rank: 5-fold cross-validation over all photos.',
    '',
    '| data set | backbone | val accuracy | ECE before | ECE after | temperature | rank CV acc | rank 1-NN |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    for (const h of r.heads) {
      const ranked = r.rank.ranking.find((x) => x.backbone === h.backbone)!;
      lines.push(`| ${r.dataset} | ${h.backbone} | ${f(h.valAccuracy)} | ${f(h.eceBefore)} | ${f(h.eceAfter)} | ${h.temperature.toFixed(3)} | ${f(ranked.accuracy)} | ${f(ranked.score)} |`);
    }
  }
  lines.push('', '| data set | target recipe | val accuracy (target) | plain | ECE after (<= 0.05) | rank first (its head / best head) | pass |', '|---|---|---|---|---|---|---|');
  for (const r of results) {
    lines.push(
      `| ${r.dataset} | ${r.target.backbone} + augmented views | ${f(r.target.valAccuracy)} (>= ${r.target.accuracyTarget}) | ${f(r.target.plainValAccuracy)} | ${f(r.target.eceAfter)} | ${r.rank.first} (${f(r.rank.firstValAccuracy)} / ${f(r.rank.bestValAccuracy)}) | ${r.target.pass && r.rank.pass ? 'yes' : 'NO'} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Replaces (or appends) the "## Transfer quality" section, leaving the other benchmarks' sections alone. */
async function updateBenchmarks(section: string): Promise<void> {
  const path = join(ROOT, 'BENCHMARKS.md');
  const old = existsSync(path) ? await readFile(path, 'utf8') : '# Benchmarks\n';
  const start = old.indexOf('## Transfer quality');
  let text: string;
  if (start < 0) text = `${old.trimEnd()}\n\n${section}`;
  else {
    const next = old.indexOf('\n## ', start + 1);
    text = old.slice(0, start) + section + (next < 0 ? '' : old.slice(next + 1));
  }
  await writeFile(path, text);
}

async function main(): Promise<number> {
  const datasets = readdirSync(join(SHARED, 'datasets'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const results: DatasetResult[] = [];
  for (const dataset of datasets) results.push(await benchDataset(dataset));
  const when = new Date().toISOString().slice(0, 10);
  await writeFile(join(ROOT, 'bench', 'quality-results.json'), JSON.stringify({ measuredAt: new Date().toISOString(), results }, null, 2) + '\n');
  await updateBenchmarks(markdown(results, when));
  const pass = results.every((r) => r.target.pass && r.rank.pass);
  console.log(markdown(results, when));
  console.log(pass ? 'transfer-quality targets: all met' : 'transfer-quality targets: MISSED (see the table)');
  return pass ? 0 : 1;
}

process.exitCode = await main();
