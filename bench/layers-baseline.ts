/**
 * The benchmark's baseline: the same imported `BackboneGraph` built as a plain TensorFlow.js LayersModel
 * (conv2d / depthwiseConv2d layers with their own activation, add, pooling), run with `predict`. This is what
 * a straightforward conversion gives; `createBackboneModel` must match its embeddings and beat its speed.
 * Bench and test code only: tfjs-layers is a devDependency and never enters the worker bundle.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BackboneGraph, BackboneLayer } from '../shared/backbone/backbone-graph.ts';

export interface LayersBaseline {
  model: tfl.LayersModel;
  /** pixels NHWC float32 [batch, h, w, c]; returns the embedding [batch, embeddingSize] */
  embed(pixels: Float32Array, batch: number): Float32Array;
  dispose(): void;
}

type Symbolic = tfl.SymbolicTensor;

function addLayer(layer: BackboneLayer, values: Map<number, Symbolic>): { layer: tfl.layers.Layer; output: Symbolic; weights?: tf.Tensor[] } {
  const x = values.get(layer.inputs[0])!;
  const name = `v${layer.output}`;
  switch (layer.op) {
    case 'conv2d': {
      const [kh, kw, , out] = layer.filterShape;
      const l = tfl.layers.conv2d({
        name, filters: out, kernelSize: [kh, kw], strides: layer.strides, padding: layer.padding, dilationRate: layer.dilations,
        activation: layer.activation, useBias: true,
      });
      return { layer: l, output: l.apply(x) as Symbolic, weights: [tf.tensor4d(layer.filter, layer.filterShape), tf.tensor1d(layer.bias)] };
    }
    case 'depthwiseConv2d': {
      const [kh, kw, , multiplier] = layer.filterShape;
      const l = tfl.layers.depthwiseConv2d({
        name, kernelSize: [kh, kw], depthMultiplier: multiplier, strides: layer.strides, padding: layer.padding,
        dilationRate: layer.dilations, activation: layer.activation, useBias: true,
      });
      return { layer: l, output: l.apply(x) as Symbolic, weights: [tf.tensor4d(layer.filter, layer.filterShape), tf.tensor1d(layer.bias)] };
    }
    case 'add': {
      if (layer.activation !== 'linear') throw new Error('the baseline does not support activations fused into add');
      const l = tfl.layers.add({ name });
      return { layer: l, output: l.apply([x, values.get(layer.inputs[1])!]) as Symbolic };
    }
    case 'avgPool': {
      const l = tfl.layers.averagePooling2d({ name, poolSize: layer.filterSize, strides: layer.strides, padding: layer.padding });
      return { layer: l, output: l.apply(x) as Symbolic };
    }
    case 'maxPool': {
      const l = tfl.layers.maxPooling2d({ name, poolSize: layer.filterSize, strides: layer.strides, padding: layer.padding });
      return { layer: l, output: l.apply(x) as Symbolic };
    }
    case 'mean': {
      const l = tfl.layers.globalAveragePooling2d({ name });
      const pooled = l.apply(x) as Symbolic;
      if (!layer.keepDims) return { layer: l, output: pooled };
      const r = tfl.layers.reshape({ name: `${name}_keep`, targetShape: [1, 1, pooled.shape[1]!] });
      return { layer: r, output: r.apply(pooled) as Symbolic };
    }
    case 'reshape': {
      const l = tfl.layers.reshape({ name, targetShape: layer.shape });
      return { layer: l, output: l.apply(x) as Symbolic };
    }
    case 'fullyConnected':
    case 'softmax':
      throw new Error(`the baseline builds the embedding only, not ${layer.op}`);
  }
}

/**
 * Builds the LayersModel from the graph's embedding layers and loads its weights (copied; the graph is
 * untouched). Must run after a tfjs backend is selected.
 */
export function createLayersBaseline(graph: BackboneGraph): LayersBaseline {
  const { spec } = graph;
  const input = tfl.input({ shape: [spec.inputHeight, spec.inputWidth, spec.inputChannels], name: 'pixels' });
  const values = new Map<number, Symbolic>([[graph.input, input]]);
  const toLoad: { layer: tfl.layers.Layer; weights: tf.Tensor[] }[] = [];
  for (const layer of graph.layers) {
    const built = addLayer(layer, values);
    values.set(layer.output, built.output);
    if (built.weights) toLoad.push({ layer: built.layer, weights: built.weights });
  }
  const model = tfl.model({ inputs: input, outputs: values.get(graph.embedding)! });
  for (const { layer, weights } of toLoad) {
    layer.setWeights(weights);
    tf.dispose(weights);
  }
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
