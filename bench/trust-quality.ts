/**
 * "Answers you can trust" figures on the real data sets (issue 14), run by `npm run bench:quality` after the
 * transfer-quality part, or alone with `npx tsx bench/trust-quality.ts`. Not timed.
 *
 * Out-of-distribution: a head is trained the CLI's default way (linear, MobileNetV2, no augmentation) on one data
 * set's train split; its val split is cut in two halves by content hash, one calibrates (temperature, thresholds,
 * OOD threshold) and the other is the in-domain test, then the halves swap (cross-fitting), so no figure comes from
 * photos the thresholds saw. Off-topic photos: the other data set (every photo) and ../shared/images.
 * Targets: >= 90 % of off-topic photos answered unknown, in-domain right answers drop <= 3 points.
 *
 * Suspect labels: 60 val photos of one label are added to the train split labelled as the other (bees uploaded as
 * "ants"), `searchSuspects` runs on all of them; targets: >= 80 % of the flips listed, >= 70 % of the listed flips.
 * Also the accuracy on the rest of val of heads trained on the clean split, on the noisy set, and on the noisy set
 * without the suspects.
 * Writes bench/out/trust-quality.json; exits 1 on a miss.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createBackboneModel, type BackboneModel } from '../shared/backbone/backbone-model.ts';
import { importTflite } from '../shared/backbone/import-tflite.ts';
import { calibrateHead } from '../shared/head/calibrate-head.ts';
import type { Head } from '../shared/head/head-types.ts';
import { oodScores, rocAuc } from '../shared/head/ood.ts';
import { predictHead, rankPredictions } from '../shared/head/predict-head.ts';
import { searchSuspects } from '../shared/head/suspects.ts';
import { evaluateHead } from '../shared/head/metrics.ts';
import { trainHead } from '../shared/head/train-head.ts';
import { decide } from '../shared/head/unknown.ts';
import { backboneIdFor } from '../shared/store/backbone-store.ts';
import { sha256File } from '../trainer/backbone-source.ts';
import { embedFolder, toTrainingSet, type Example } from '../trainer/embed-folder.ts';
import { EmbeddingCache, embeddingCacheDir } from '../trainer/embedding-cache.ts';
import { readImageFolder, type LabelledFile } from '../trainer/image-folder.ts';
import { loadRuntime } from '../trainer/runtime.ts';
import type { ImageRuntime } from '../shared/image/image-runtime.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '../shared');
const BACKBONE = 'mobilenet_v2_1.0_224_quant';
const MIN_OOD_RATE = 0.9;
const MAX_DROP = 0.03;
const FLIPS = 60;
const MIN_RECALL = 0.8;
const MIN_PRECISION = 0.7;

async function embedSet(model: BackboneModel, cache: EmbeddingCache, files: LabelledFile[], image: ImageRuntime): Promise<Example[]> {
  const { examples } = await embedFolder(files, model, cache, image, { quiet: true });
  return examples;
}

interface Decided {
  right: number;
  rightWithoutOod: number;
  unknownOod: number;
  unknownAny: number;
  scores: number[];
}

function decideAll(head: Head, examples: Example[], labelOf: (e: Example) => string | null): Decided {
  const k = head.labels.length;
  const n = examples.length;
  const embeddings = new Float32Array(n * head.embeddingSize);
  examples.forEach((e, i) => embeddings.set(e.embedding, i * head.embeddingSize));
  const probabilities = predictHead(head, embeddings, n);
  const scores = oodScores(head, embeddings, n);
  const out: Decided = { right: 0, rightWithoutOod: 0, unknownOod: 0, unknownAny: 0, scores: Array.from(scores) };
  examples.forEach((e, i) => {
    const ranked = rankPredictions(head, probabilities.subarray(i * k, (i + 1) * k));
    const withOod = decide(head, ranked, undefined, null, scores[i]);
    const without = decide(head, ranked, undefined, null);
    if (withOod.label === null) out.unknownAny++;
    if (withOod.label === null && withOod.reason === 'out_of_distribution') out.unknownOod++;
    if (withOod.label !== null && withOod.label === labelOf(e)) out.right++;
    if (without.label !== null && without.label === labelOf(e)) out.rightWithoutOod++;
  });
  return out;
}

function benchSuspects(examples: Example[], from: string, to: string) {
  // The case: the correctly labelled train split, plus 60 uploads of `from` photos labelled `to` (taken from
  // val); the rest of val judges the heads.
  const byHash = (a: Example, b: Example) => (a.sha256 < b.sha256 ? -1 : 1);
  const allVal = examples.filter((e) => e.file.split === 'val').sort(byHash);
  const uploads = allVal.filter((e) => e.file.label === from).slice(0, FLIPS);
  const val = allVal.filter((e) => !uploads.includes(e));
  const correct = examples.filter((e) => e.file.split === 'train').sort(byHash);
  const train = [...correct, ...uploads];
  const labels = [...new Set(train.map((e) => e.file.label))].sort();
  const flipped = new Set(uploads.map((_, i) => correct.length + i));
  const noisy = toTrainingSet(train, labels);
  for (const i of flipped) noisy.labelIndex[i] = labels.indexOf(to);
  const { suspects } = searchSuspects(noisy, train.map((e) => e.sha256), { seed: 42 });
  const hits = suspects.filter((s) => flipped.has(s.index)).length;
  const valSet = toTrainingSet(val, labels);
  const clean = evaluateHead(trainHead(toTrainingSet(correct, labels), { seed: 42 }).head, valSet).accuracy;
  const noisyAccuracy = evaluateHead(trainHead(noisy, { seed: 42 }).head, valSet).accuracy;
  const keep = train.map((_, i) => i).filter((i) => !suspects.some((s) => s.index === i));
  const pruned = { ...noisy, embeddings: toTrainingSet(keep.map((i) => train[i]), labels).embeddings, labelIndex: Int32Array.from(keep, (i) => noisy.labelIndex[i]) };
  const prunedAccuracy = evaluateHead(trainHead(pruned, { seed: 42 }).head, valSet).accuracy;
  const recall = hits / flipped.size;
  const precision = suspects.length ? hits / suspects.length : 0;
  const ok = recall >= MIN_RECALL && precision >= MIN_PRECISION;
  console.error(
    `suspects, ${correct.length} train photos + ${flipped.size} ${from} uploaded as ${to}: ${suspects.length} listed, ${hits} of them flipped: recall ${(100 * recall).toFixed(1)}%, precision ${(100 * precision).toFixed(1)}%; ` +
      `val accuracy clean ${clean.toFixed(4)}, noisy ${noisyAccuracy.toFixed(4)}, noisy without the suspects ${prunedAccuracy.toFixed(4)} ${ok ? 'PASS' : 'MISS'}`,
  );
  return { trainPhotos: train.length, flipped: flipped.size, listed: suspects.length, hits, recall, precision, valAccuracy: { clean, noisy: noisyAccuracy, withoutSuspects: prunedAccuracy }, pass: ok };
}

async function main(): Promise<void> {
  const runtime = await loadRuntime();
  const bytes = new Uint8Array(await readFile(join(SHARED, 'backbones', `${BACKBONE}.tflite`)));
  const model = createBackboneModel(importTflite(bytes, { name: BACKBONE }));
  const cache = new EmbeddingCache(embeddingCacheDir(undefined), backboneIdFor(sha256File(bytes)), model.spec.embeddingSize, model.engine);
  const sets: Record<string, Example[]> = {};
  for (const name of ['hymenoptera', 'catsdogs']) {
    sets[name] = await embedSet(model, cache, await readImageFolder(join(SHARED, 'datasets', name)), runtime.image);
    console.error(`${name}: ${sets[name].length} photos embedded`);
  }
  const imageDir = join(SHARED, 'images');
  const loose = (await readdir(imageDir)).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).map((f) => ({ path: join(imageDir, f), name: f, label: '(none)' }));
  const samples = await embedSet(model, cache, loose, runtime.image);

  const results = [];
  let pass = true;
  for (const [inName, outName] of [['hymenoptera', 'catsdogs'], ['catsdogs', 'hymenoptera']]) {
    const examples = sets[inName];
    const train = examples.filter((e) => e.file.split === 'train');
    const val = examples.filter((e) => e.file.split === 'val');
    const labels = [...new Set(train.map((e) => e.file.label))].sort();
    const trainingSet = toTrainingSet(train, labels);
    const head = trainHead(trainingSet, { seed: 42 }).head;
    const halves = [val.filter((e) => parseInt(e.sha256.slice(0, 2), 16) % 2 === 0), val.filter((e) => parseInt(e.sha256.slice(0, 2), 16) % 2 === 1)];
    const offTopic = [...sets[outName], ...samples];
    const totals = { inDomain: 0, right: 0, rightWithoutOod: 0, inDomainOod: 0, offTopic: 0, offTopicOod: 0, offTopicUnknown: 0, samplesOod: 0 };
    const inScores: number[] = [];
    const outScores: number[] = [];
    for (let fold = 0; fold < 2; fold++) {
      const { head: calibrated } = calibrateHead(head, toTrainingSet(halves[fold], labels), { rows: trainingSet.embeddings, labelIndex: trainingSet.labelIndex });
      const test = decideAll(calibrated, halves[1 - fold], (e) => e.file.label);
      const off = decideAll(calibrated, offTopic, () => null);
      const sampleDecisions = decideAll(calibrated, samples, () => null);
      totals.inDomain += halves[1 - fold].length;
      totals.right += test.right;
      totals.rightWithoutOod += test.rightWithoutOod;
      totals.inDomainOod += test.unknownOod;
      totals.offTopic += offTopic.length;
      totals.offTopicOod += off.unknownOod;
      totals.offTopicUnknown += off.unknownAny;
      totals.samplesOod += sampleDecisions.unknownOod;
      inScores.push(...test.scores);
      outScores.push(...off.scores);
    }
    const result = {
      trainedOn: inName,
      offTopic: `${outName} (${sets[outName].length}) + shared/images (${samples.length})`,
      inDomainPhotos: totals.inDomain,
      rightWithoutOod: totals.rightWithoutOod / totals.inDomain,
      rightWithOod: totals.right / totals.inDomain,
      drop: (totals.rightWithoutOod - totals.right) / totals.inDomain,
      inDomainFlagged: totals.inDomainOod / totals.inDomain,
      offTopicOodRate: totals.offTopicOod / totals.offTopic,
      offTopicUnknownRate: totals.offTopicUnknown / totals.offTopic,
      sharedImagesOod: `${totals.samplesOod / 2}/${samples.length}`,
      auc: rocAuc(inScores, outScores),
    };
    result.drop = Math.max(0, result.drop);
    const ok = result.offTopicOodRate >= MIN_OOD_RATE && result.drop <= MAX_DROP;
    pass &&= ok;
    results.push({ ...result, pass: ok });
    console.error(
      `OOD, trained on ${inName}, off-topic ${result.offTopic}: off-topic answered out_of_distribution ${(100 * result.offTopicOodRate).toFixed(1)}% (unknown for any reason ${(100 * result.offTopicUnknownRate).toFixed(1)}%), ` +
        `in-domain right ${(100 * result.rightWithoutOod).toFixed(1)}% -> ${(100 * result.rightWithOod).toFixed(1)}% (flagged ${(100 * result.inDomainFlagged).toFixed(1)}%), AUC ${result.auc.toFixed(4)}, shared/images OOD ${result.sharedImagesOod} ${ok ? 'PASS' : 'MISS'}`,
    );
  }
  const suspects = [];
  for (const [name, from, to] of [['hymenoptera', 'bees', 'ants'], ['catsdogs', 'dogs', 'cats']]) {
    const result = benchSuspects(sets[name], from, to);
    pass &&= result.pass;
    suspects.push({ dataset: name, ...result });
  }
  await mkdir(join(ROOT, 'bench', 'out'), { recursive: true });
  await writeFile(join(ROOT, 'bench', 'out', 'trust-quality.json'), JSON.stringify({ createdAt: new Date().toISOString(), ood: results, suspects }, null, 2) + '\n');
  if (!pass) process.exitCode = 1;
}

await main();
