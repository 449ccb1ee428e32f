/**
 * Runs a `BackboneGraph` with TensorFlow.js ops on whatever backend is selected. Convolutions go through the
 * fused kernels (conv + bias + activation in one pass): on the wasm backend a separate ReLU6 costs almost as
 * much as the convolution before it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, BackboneGraph, BackboneLayer, Conv2dLayer, DepthwiseConv2dLayer } from './backbone-graph.ts';
import type { BackboneEngine, BackboneModel } from './backbone-spec.ts';
import { importTflite, type ImportTfliteOptions } from './import-tflite.ts';
export type { BackboneModel } from './backbone-spec.ts';
import { InvalidModelError } from '../errors.ts';
import { readTflite } from '../tflite/read-tflite.ts';
import { createInt8Model } from './int8/int8-model.ts';
import { freePackedFilter, wasmHeapTensors } from '../tf/wasm-backend.ts';

export interface ImportBackboneOptions extends Omit<ImportTfliteOptions, 'allocate'> {
  /** 'auto' (default): int8 for a quantised backbone when `int8Kernels` is given, else float32 */
  engine?: 'auto' | BackboneEngine;
  /** the compiled int8-kernels.wasm, from the adapter's runtime (`Runtime.int8Kernels`); absent: float path only */
  int8Kernels?: WebAssembly.Module | null;
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
  return buildModel(graph, (values, shape) => tf.tensor(values, shape));
}

/**
 * `createBackboneModel(importTflite(bytes, options))`: the same model and embeddings, built for a cold start.
 * On this platform the first write to fresh memory costs several milliseconds per megabyte, and on the wasm
 * backend the plain path writes every weight three times into fresh memory: the dequantized Float32Array, its
 * copy in the wasm heap, and XNNPACK's packed copy on the first forward (plus a transposed temporary). Here
 * the weights are dequantized straight into the wasm heap, then every convolution is packed at once, largest
 * first, by running it on an input of one window, and the now unused filter memory is freed as soon as its
 * layer is packed, so the next (smaller) layer's packed copy reuses it. The first forward then packs nothing,
 * the heap ends ~12 MB smaller (MobileNetV2), and it is the same ops on the same weights. Other backends take
 * the plain path.
 * A quantised backbone (uint8 or int8 weights and activations) goes to the int8 engine instead
 * (int8/int8-model.ts) whenever `options.int8Kernels` is given and covers every operator up to the embedding;
 * `options.engine` forces one engine (the benchmarks and tests compare the two).
 * @throws InvalidModelError from `importTflite`, or when `engine: 'int8-simd'` is asked for a backbone it cannot run
 */
export function importBackboneModel(bytes: Uint8Array, options: ImportBackboneOptions = {}): BackboneModel {
  const { engine = 'auto', int8Kernels, ...importOptions } = options;
  if (engine !== 'float32-tfjs') {
    if (int8Kernels) {
      const int8 = createInt8Model(readTflite(bytes), bytes, int8Kernels, importOptions);
      if (int8.model) return int8.model;
      if (engine === 'int8-simd') throw new InvalidModelError(`the int8 engine cannot run this backbone: ${int8.reason}`);
    } else if (engine === 'int8-simd') {
      throw new Error('the int8 engine was asked for but no int8 kernels were given (options.int8Kernels, from the runtime)');
    }
  }
  return importFloatModel(bytes, importOptions);
}

function importFloatModel(bytes: Uint8Array, options: Omit<ImportTfliteOptions, 'allocate'>): BackboneModel {
  const heap = wasmHeapTensors();
  if (!heap) return createBackboneModel(importTflite(bytes, options));
  try {
    const graph = importTflite(bytes, { ...options, allocate: (length) => heap.allocate(length) });
    return buildModel(graph, (values, shape) => heap.take(values, shape) ?? tf.tensor(values, shape), packConvolutions);
  } finally {
    heap.dispose();
  }
}

/** Creates (packs) each convolution's cached XNNPACK operator, largest filter first, and frees the filter's own memory. */
function packConvolutions(layers: BackboneLayer[], weights: Map<BackboneLayer, LayerWeights>): void {
  const convolutions = layers.filter((l): l is Conv2dLayer | DepthwiseConv2dLayer => l.op === 'conv2d' || l.op === 'depthwiseConv2d');
  const size = (l: Conv2dLayer | DepthwiseConv2dLayer) => l.filterShape.reduce((a, b) => a * b, 1);
  convolutions.sort((a, b) => size(b) - size(a));
  for (const layer of convolutions) {
    const w = weights.get(layer)!;
    const [kh, kw, inChannels] = layer.filterShape;
    // One window (dilated): the smallest input any padding accepts; the operator does not depend on input size.
    const window = [1, (kh - 1) * layer.dilations[0] + 1, (kw - 1) * layer.dilations[1] + 1, inChannels];
    tf.tidy(() => {
      runLayer(layer, new Map([[layer.inputs[0], tf.zeros(window)]]), w, 1);
    });
    freePackedFilter(w.filter!);
  }
}

function buildModel(
  graph: BackboneGraph,
  upload: (values: Float32Array, shape: number[]) => tf.Tensor,
  prepare?: (layers: BackboneLayer[], weights: Map<BackboneLayer, LayerWeights>) => void,
): BackboneModel {
  const { spec } = graph;
  const all = [...graph.layers, ...graph.classifier];
  const weights = new Map<BackboneLayer, LayerWeights>();
  // Shapes come from the layer, not from the arrays: a view of the wasm heap reads as empty once the heap has grown.
  for (const layer of all) {
    if (layer.op === 'conv2d' || layer.op === 'depthwiseConv2d') {
      const [, , inChannels, out] = layer.filterShape;
      const channels = layer.op === 'conv2d' ? out : inChannels * out;
      weights.set(layer, { filter: upload(layer.filter, layer.filterShape) as tf.Tensor4D, bias: upload(layer.bias, [channels]) as tf.Tensor1D });
    } else if (layer.op === 'fullyConnected') {
      weights.set(layer, { weights: upload(layer.weights, [layer.inSize, layer.outSize]) as tf.Tensor2D, bias: upload(layer.bias, [layer.outSize]) as tf.Tensor1D });
    }
  }
  prepare?.(all, weights);
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
    engine: 'float32-tfjs',
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
