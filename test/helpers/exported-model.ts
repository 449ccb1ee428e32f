/** Loading what `edgehead export` wrote, as a Node user would without tfjs-node: tf.loadLayersModel over the files. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BackboneSpec } from '../../shared/backbone/backbone-spec.ts';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import { modelInputFrom } from '../../shared/image/preprocess.ts';

/** `tf.loadLayersModel` with an IOHandler that reads model.json and the shards it lists from `dir`. */
export function loadExportedModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel({
    load: () =>
      tf.io.getModelArtifactsForJSON(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON, async (manifest) => [
        manifest.flatMap((group) => group.weights),
        // The README's Node snippet does exactly this: a copy, since a Buffer may share a larger pool.
        manifest.flatMap((group) => group.paths.map((path) => new Uint8Array(readFileSync(join(dir, path))).buffer)),
      ]),
  });
}

/** The service's own fit of a photo to the input (decode, area-average resize, centre crop), as RGB 0..255. */
export function servicePixels(bytes: Uint8Array, spec: Pick<BackboneSpec, 'inputHeight' | 'inputWidth'>): Float32Array {
  const size = { height: spec.inputHeight, width: spec.inputWidth };
  return modelInputFrom(decodeForModel(bytes, { maxPixels: 50e6, ...size }), { ...size, pixelScale: 1, pixelZeroPoint: 0 });
}

/** `model.predict` on a batch of HWC pixel arrays; returns [batch * outputs]. */
export function predictPixels(model: tfl.LayersModel, pixels: Float32Array[], spec: Pick<BackboneSpec, 'inputHeight' | 'inputWidth'>): Float32Array {
  const batch = new Float32Array(pixels.length * pixels[0].length);
  pixels.forEach((p, i) => batch.set(p, i * p.length));
  const out = tf.tidy(() => model.predict(tf.tensor4d(batch, [pixels.length, spec.inputHeight, spec.inputWidth, 3])) as tf.Tensor);
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}
