import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackboneModel, type BackboneModel } from '../../shared/backbone/backbone-model.ts';
import type { BackboneGraph } from '../../shared/backbone/backbone-graph.ts';
import { importTflite } from '../../shared/backbone/import-tflite.ts';
import { buildClassifierModel } from '../../shared/export/classifier-model.ts';
import { layersModelFiles } from '../../shared/export/layers-model-files.ts';
import type { Head } from '../../shared/head/head-types.ts';
import { predictHead } from '../../shared/head/predict-head.ts';
import { trainHead } from '../../shared/head/train-head.ts';
import { trainMlpHead } from '../../shared/head/train-mlp.ts';
import { loadRuntime } from '../../trainer/runtime.ts';
import { loadExportedModel, predictPixels, servicePixels } from '../helpers/exported-model.ts';
import { backbonePath, datasetPath, tempDir } from '../helpers/node-fixtures.ts';

const LABELS = ['ants', 'bees'];

describe('the exported classifier (backbone + head + temperature as one LayersModel)', () => {
  let graph: BackboneGraph;
  let backbone: BackboneModel;
  let pixels: Float32Array[];
  let embeddings: Float32Array;
  let labelIndex: Int32Array;

  beforeAll(async () => {
    await loadRuntime();
    graph = importTflite(new Uint8Array(readFileSync(backbonePath('mobilenet_v1_0.25_128_quant'))), { embeddingOnly: true });
    backbone = createBackboneModel(graph);
    const { spec } = graph;
    const files = LABELS.flatMap((label, c) => {
      const dir = join(datasetPath('hymenoptera'), 'train', label);
      return readdirSync(dir).sort().slice(0, 8).map((f) => ({ path: join(dir, f), c }));
    });
    pixels = files.map((f) => servicePixels(new Uint8Array(readFileSync(f.path)), spec));
    embeddings = new Float32Array(files.length * spec.embeddingSize);
    pixels.forEach((p, i) => {
      const normalised = p.map((v) => (v - spec.pixelZeroPoint) * spec.pixelScale);
      embeddings.set(backbone.embed(normalised, 1), i * spec.embeddingSize);
    });
    labelIndex = Int32Array.from(files.map((f) => f.c));
  });

  const heads: [string, () => Head][] = [
    ['a linear head', () => ({ ...trainHead({ embeddings, embeddingSize: 256, labelIndex, labels: LABELS }, { seed: 3 }).head, temperature: 1.7 })],
    ['a one-hidden-layer head', () => {
      const set = { embeddings, embeddingSize: 256, labelIndex, labels: LABELS };
      return { ...trainMlpHead(set, { seed: 3, hidden: 16, maxEpochs: 20, validation: set }).head, temperature: 0.6 };
    }],
  ];

  it.each(heads)('gives the probabilities of the service path (backbone embed + predictHead) for %s, after a save and load', async (_, makeHead) => {
    const head = makeHead();
    expect(head.hidden !== undefined).toBe(_.includes('hidden'));
    const model = buildClassifierModel(graph, head);
    const dir = tempDir('export-unit');
    const files = await layersModelFiles(model, { edgehead: { labels: head.labels } }, 256 * 1024);
    model.dispose();
    expect(files.map((f) => f.path).slice(0, 2)).toEqual(['model.json', 'group1-shard1of4.bin']);
    mkdirSync(dir, { recursive: true });
    for (const f of files) writeFileSync(join(dir, f.path), f.bytes);

    const before = tf.memory().numTensors;
    const loaded = await loadExportedModel(dir);
    expect(loaded.getUserDefinedMetadata()).toEqual({ edgehead: { labels: LABELS } });
    expect(loaded.outputs[0].shape).toEqual([null, 2]);
    const got = predictPixels(loaded, pixels, graph.spec);
    const expected = predictHead(head, embeddings);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    // Not a constant answer: the photos get different probabilities, and both labels win somewhere.
    const winners = new Set(pixels.map((_, i) => (expected[2 * i] > expected[2 * i + 1] ? 0 : 1)));
    expect(winners.size).toBe(2);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a head made for another backbone', () => {
    const head = heads[0][1]();
    expect(() => buildClassifierModel(graph, { ...head, embeddingSize: 1280 })).toThrow(/1280 values but backbone .* gives 256/);
  });
});
