import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLayersBaseline, type LayersBaseline } from '../../bench/layers-baseline.ts';
import { createBackboneModel, type BackboneModel } from '../../shared/backbone/backbone-model.ts';
import { importTflite } from '../../shared/backbone/import-tflite.ts';
import { embedImage } from '../../shared/embed-image.ts';
import { decodeForModel, decodeImage } from '../../shared/image/decode-image.ts';
import { modelInputFrom, toModelInput } from '../../shared/image/preprocess.ts';
import { loadRuntime } from '../../trainer/runtime.ts';
import { backbonePath, imagePath } from '../helpers/node-fixtures.ts';

// The benchmark's speed-up claim is only meaningful if the fused path computes the same function as the
// plain LayersModel it is compared with.
describe.each(['mobilenet_v2_1.0_224_quant', 'mobilenet_v1_0.25_128_quant'])('fused backbone vs plain LayersModel: %s', (name) => {
  let fused: BackboneModel;
  let baseline: LayersBaseline;

  beforeAll(async () => {
    await loadRuntime();
    const graph = importTflite(new Uint8Array(readFileSync(backbonePath(name))), { name });
    fused = createBackboneModel(graph);
    baseline = createLayersBaseline(graph);
  });

  afterAll(() => {
    fused?.dispose();
    baseline?.dispose();
  });

  it('gives the same embeddings for real photos, one at a time and batched', () => {
    const { spec } = fused;
    const inputs = ['cat_720p.jpg', 'hot_dog.jpg', 'kite_and_cold.jpg'].map((file) =>
      toModelInput(decodeImage(new Uint8Array(readFileSync(imagePath(file))), { maxPixels: 50e6, minSide: spec.inputHeight }), {
        height: spec.inputHeight, width: spec.inputWidth, pixelScale: spec.pixelScale, pixelZeroPoint: spec.pixelZeroPoint,
      }),
    );
    const batch = new Float32Array(inputs.length * inputs[0].length);
    inputs.forEach((input, i) => batch.set(input, i * input.length));
    const fusedAll = fused.embed(batch, inputs.length);
    const baselineAll = baseline.embed(batch, inputs.length);
    expect(baselineAll.length).toBe(inputs.length * spec.embeddingSize);
    let maxDiff = 0;
    let maxValue = 0;
    for (let i = 0; i < fusedAll.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(fusedAll[i] - baselineAll[i]));
      maxValue = Math.max(maxValue, Math.abs(baselineAll[i]));
    }
    expect(maxValue).toBeGreaterThan(0.5);
    expect(maxDiff).toBeLessThan(1e-4 * Math.max(1, maxValue));
    const single = fused.embed(inputs[1], 1);
    const baselineSingle = baseline.embed(inputs[1], 1);
    for (let i = 0; i < single.length; i++) expect(Math.abs(single[i] - baselineSingle[i])).toBeLessThan(1e-4 * Math.max(1, maxValue));
  });

  it('matches what the serving path (embedImage) returns', async () => {
    const bytes = new Uint8Array(readFileSync(imagePath('cat_720p.jpg')));
    const runtime = (await loadRuntime()).image;
    const { embedding } = embedImage(bytes, fused, { maxImagePixels: 50e6, runtime });
    const { spec } = fused;
    // The serving path's own input: a JPEG's planes resized, then colour-converted.
    const input = modelInputFrom(decodeForModel(bytes, { maxPixels: 50e6, height: spec.inputHeight, width: spec.inputWidth, runtime }), {
      height: spec.inputHeight, width: spec.inputWidth, pixelScale: spec.pixelScale, pixelZeroPoint: spec.pixelZeroPoint,
    });
    const expected = baseline.embed(input, 1);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(embedding[i] - expected[i]));
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it('leaks no tensors in either model', () => {
    const before = tf.memory().numTensors;
    const input = new Float32Array(fused.spec.inputHeight * fused.spec.inputWidth * 3).fill(0.25);
    fused.embed(input, 1);
    baseline.embed(input, 1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
