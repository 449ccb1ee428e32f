/**
 * The benchmark's baseline: the same imported `BackboneGraph` built as a plain TensorFlow.js LayersModel
 * (`shared/backbone/backbone-layers.ts`: conv2d / depthwiseConv2d layers with their own activation, add,
 * pooling), run with `predict`. This is what a straightforward conversion gives (and what `edgehead export`
 * writes); `createBackboneModel` must match its embeddings and beat its speed.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BackboneGraph } from '../shared/backbone/backbone-graph.ts';
import { applyBackboneLayers } from '../shared/backbone/backbone-layers.ts';

export interface LayersBaseline {
  model: tfl.LayersModel;
  /** pixels NHWC float32 [batch, h, w, c]; returns the embedding [batch, embeddingSize] */
  embed(pixels: Float32Array, batch: number): Float32Array;
  dispose(): void;
}

/**
 * Builds the LayersModel from the graph's embedding layers and loads its weights (copied; the graph is
 * untouched). Must run after a tfjs backend is selected.
 */
export function createLayersBaseline(graph: BackboneGraph): LayersBaseline {
  const { spec } = graph;
  const input = tfl.input({ shape: [spec.inputHeight, spec.inputWidth, spec.inputChannels], name: 'pixels' });
  const model = tfl.model({ inputs: input, outputs: applyBackboneLayers(graph, input) });
  return {
    model,
    embed(pixels, batch) {
      const out = tf.tidy(() => model.predict(tf.tensor4d(pixels, [batch, spec.inputHeight, spec.inputWidth, spec.inputChannels])) as tf.Tensor);
      try {
        return out.dataSync() as Float32Array;
      } finally {
        out.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}
