/** Builds real model state inside workerd: a backbone imported into local KV and a head trained on real photos. */
import { env } from 'cloudflare:test';
import { createBackboneModel, type BackboneModel } from '../../shared/backbone/backbone-model.ts';
import { importTflite } from '../../shared/backbone/import-tflite.ts';
import { embedImage } from '../../shared/embed-image.ts';
import { trainHead } from '../../shared/head/train-head.ts';
import { importBackbone } from '../../shared/store/import-backbone.ts';
import { calibrateHead } from '../../shared/head/calibrate-head.ts';
import type { Head } from '../../shared/head/head-types.ts';
import { publishHead, type CalibrationSummary, type HeadManifest, type TransferSummary } from '../../shared/store/head-store.ts';
import { isolateRuntime } from '../../workers/runtime.ts';
import { fixture, fixtureNames } from './fixtures.ts';

export const TINY_BACKBONE = 'backbones/mobilenet_v1_0.25_128_quant.tflite';

let tiny: BackboneModel | undefined;

export async function tinyBackbone(): Promise<BackboneModel> {
  await isolateRuntime().backend();
  tiny ??= createBackboneModel(importTflite(fixture(TINY_BACKBONE)));
  return tiny;
}

/** Imports the tiny backbone into the worker's KV and makes it current. */
export async function importTinyBackbone(now = new Date('2026-11-28T10:00:00Z')) {
  return importBackbone(env.MODELS, fixture(TINY_BACKBONE), { name: 'mobilenet_v1_0.25_128_quant', source: 'test fixture', licence: 'Apache-2.0' }, now);
}

/** Embeds the packed hymenoptera photos of one split with the same path the worker uses. */
export async function embedSplit(split: 'train' | 'val', labels = ['ants', 'bees']) {
  const model = await tinyBackbone();
  const names = fixtureNames(`hymenoptera/${split}/`).filter((n) => labels.includes(n.split('/')[2]));
  const embeddings = new Float32Array(names.length * model.spec.embeddingSize);
  const labelIndex = new Int32Array(names.length);
  names.forEach((name, i) => {
    embeddings.set(embedImage(fixture(name), model, { maxImagePixels: 50_000_000, runtime: isolateRuntime().image }).embedding, i * model.spec.embeddingSize);
    labelIndex[i] = labels.indexOf(name.split('/')[2]);
  });
  return { names, set: { embeddings, embeddingSize: model.spec.embeddingSize, labelIndex, labels } };
}

/** Trains an ants/bees head on real photos inside workerd and publishes it to the worker's KV. */
export async function publishTrainedHead(options: { seed?: number; now?: Date; labels?: string[] } = {}): Promise<HeadManifest> {
  const { manifest: backbone } = await importTinyBackbone();
  const { set } = await embedSplit('train', options.labels);
  const { head } = trainHead(set, { seed: options.seed ?? 7 });
  return publishHead(env.MODELS, head, { backboneId: backbone.id, metrics: null, training: { by: 'worker test' } }, options.now ?? new Date('2026-11-28T11:00:00Z'));
}

/**
 * Trains on the packed train split, calibrates on the val split (temperature and thresholds) inside workerd,
 * and publishes with the given manifest extras; `thresholds` replaces the fitted ones when given.
 */
export async function publishCalibratedHead(
  options: { now?: Date; thresholds?: number[]; backgroundLabel?: string; transfer?: TransferSummary } = {},
): Promise<{ manifest: HeadManifest; head: Head; calibration: CalibrationSummary }> {
  const { manifest: backbone } = await importTinyBackbone();
  const { set } = await embedSplit('train');
  const { set: val } = await embedSplit('val');
  const trained = trainHead(set, { seed: 7 }).head;
  const { head: calibrated, summary } = calibrateHead(trained, val);
  const head = options.thresholds ? { ...calibrated, thresholds: Float32Array.from(options.thresholds) } : calibrated;
  const manifest = await publishHead(
    env.MODELS,
    head,
    { backboneId: backbone.id, metrics: null, training: { by: 'worker test' }, calibration: summary, transfer: options.transfer, backgroundLabel: options.backgroundLabel },
    options.now ?? new Date('2026-11-28T11:00:00Z'),
  );
  return { manifest, head, calibration: summary };
}

export function post(path: string, body: BodyInit | null, contentType?: string): Request {
  return new Request(`http://edgehead.test${path}`, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });
}
