/**
 * Runs a `BackboneGraph` with TensorFlow.js ops on whatever backend is selected. Convolutions go through the
 * fused kernels (conv + bias + activation in one pass): on the wasm backend a separate ReLU6 costs almost as
 * much as the convolution before it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, BackboneGraph, BackboneLayer } from './backbone-graph.ts';
import type { BackboneSpec } from './backbone-spec.ts';

export interface BackboneModel {
  spec: BackboneSpec;
  /** pixels: normalized real values, NHWC float32 [batch, inputHeight, inputWidth, 3]; returns [batch, embeddingSize] */
  embed(pixels: Float32Array, batch: number): Float32Array;
  /** softmax probabilities of the original classifier, [batch, classifierClasses]; throws if the file had none */
  classify(pixels: Float32Array, batch: number): Float32Array;
  dispose(): void;
}

interface LayerWeights {
  filter?: tf.Tensor4D;
  weights?: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

/** The layers to run for one output, and after which layer each value is no longer needed. */
interface Plan {
  layers: BackboneLayer[];
  output: number;
  /** per layer, the values to dispose once it has run, so peak memory stays near two feature maps */
  release: number[][];
}

function makePlan(layers: BackboneLayer[], output: number): Plan {
  const lastUse = new Map<number, number>();
  layers.forEach((layer, i) => layer.inputs.forEach((v) => lastUse.set(v, i)));
  const release: number[][] = layers.map(() => []);
  for (const [value, i] of lastUse) if (value !== output) release[i].push(value);
  return { layers, output, release };
}

function applyActivation(x: tf.Tensor, activation: Activation): tf.Tensor {
  if (activation === 'relu') return tf.relu(x);
  if (activation === 'relu6') return tf.relu6(x);
  return x;
}

function runLayer(layer: BackboneLayer, values: Map<number, tf.Tensor>, weights: LayerWeights, batch: number): tf.Tensor {
  const x = values.get(layer.inputs[0]);
  if (!x) throw new Error(`backbone graph is inconsistent: value ${layer.inputs[0]} is read before it is computed`);
  switch (layer.op) {
    case 'conv2d':
      return tf.fused.conv2d({
        x: x as tf.Tensor4D, filter: weights.filter!, bias: weights.bias, strides: layer.strides, pad: layer.padding,
        dilations: layer.dilations, activation: layer.activation,
      });
    case 'depthwiseConv2d':
      return tf.fused.depthwiseConv2d({
        x: x as tf.Tensor4D, filter: weights.filter!, bias: weights.bias, strides: layer.strides, pad: layer.padding,
        dilations: layer.dilations, activation: layer.activation,
      });
    case 'add':
      return applyActivation(tf.add(x, values.get(layer.inputs[1])!), layer.activation);
    case 'avgPool':
      return applyActivation(tf.avgPool(x as tf.Tensor4D, layer.filterSize, layer.strides, layer.padding), layer.activation);
    case 'maxPool':
      return applyActivation(tf.maxPool(x as tf.Tensor4D, layer.filterSize, layer.strides, layer.padding), layer.activation);
    case 'mean':
      return tf.mean(x, [1, 2], layer.keepDims);
    case 'fullyConnected':
      return tf.fused.matMul({ a: x as tf.Tensor2D, b: weights.weights!, bias: weights.bias, activation: layer.activation });
    case 'reshape':
      return tf.reshape(x, [batch, ...layer.shape]);
    case 'softmax':
      return tf.softmax(layer.beta === 1 ? x : tf.mul(x, tf.scalar(layer.beta)));
  }
}

/**
 * Uploads the graph's weights once (kept until `dispose`) and returns a model whose forward passes each run
 * inside `tf.tidy` and release every intermediate tensor, so `tf.memory().numTensors` is unchanged after a call.
 * Calls are synchronous (`dataSync`), which is what the wasm and cpu backends offer anyway.
 * @throws Error from `embed`/`classify` when `pixels.length` is not batch x height x width x channels,
 *   from `classify` when the graph has no classifier, and from either after `dispose`
 */
export function createBackboneModel(graph: BackboneGraph): BackboneModel {
  const { spec } = graph;
  const all = [...graph.layers, ...graph.classifier];
  const weights = new Map<BackboneLayer, LayerWeights>();
  for (const layer of all) {
    if (layer.op === 'conv2d' || layer.op === 'depthwiseConv2d') {
      weights.set(layer, { filter: tf.tensor4d(layer.filter, layer.filterShape), bias: tf.tensor1d(layer.bias) });
    } else if (layer.op === 'fullyConnected') {
      weights.set(layer, { weights: tf.tensor2d(layer.weights, [layer.inSize, layer.outSize]), bias: tf.tensor1d(layer.bias) });
    }
  }
  const embedPlan = makePlan(graph.layers, graph.embedding);
  const classifyPlan = graph.output === null ? null : makePlan(all, graph.output);
  const none: LayerWeights = {};
  let disposed = false;

  const run = (plan: Plan, pixels: Float32Array, batch: number): Float32Array => {
    if (disposed) throw new Error(`backbone ${spec.name} has been disposed`);
    const size = spec.inputHeight * spec.inputWidth * spec.inputChannels;
    if (!Number.isInteger(batch) || batch < 1 || pixels.length !== batch * size) {
      throw new Error(
        `expected ${batch} x ${spec.inputHeight} x ${spec.inputWidth} x ${spec.inputChannels} = ${batch * size} pixel values, got ${pixels.length}`,
      );
    }
    const result = tf.tidy(() => {
      const values = new Map<number, tf.Tensor>();
      values.set(graph.input, tf.tensor4d(pixels, [batch, spec.inputHeight, spec.inputWidth, spec.inputChannels]));
      plan.layers.forEach((layer, i) => {
        values.set(layer.output, runLayer(layer, values, weights.get(layer) ?? none, batch));
        for (const value of plan.release[i]) {
          values.get(value)?.dispose();
          values.delete(value);
        }
      });
      return values.get(plan.output)!;
    });
    try {
      return result.dataSync() as Float32Array;
    } finally {
      result.dispose();
    }
  };

  return {
    spec,
    embed: (pixels, batch) => run(embedPlan, pixels, batch),
    classify(pixels, batch) {
      if (!classifyPlan) throw new Error(`backbone ${spec.name} has no classifier: its TFLite file ends at the embedding`);
      return run(classifyPlan, pixels, batch);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const w of weights.values()) tf.dispose([w.filter, w.weights, w.bias].filter((t) => t !== undefined));
      weights.clear();
    },
  };
}
