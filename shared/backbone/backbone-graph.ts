/**
 * A backbone as plain data: a short list of float32 layers over numbered values (NHWC activations), which
 * `createBackboneModel` runs with TensorFlow.js. Everything in it is structured-cloneable (numbers, strings,
 * arrays, Float32Array), so a graph can be built once and shipped or cached.
 */
import type { BackboneSpec } from './backbone-spec.ts';

export type Activation = 'linear' | 'relu' | 'relu6';
export type Padding = 'same' | 'valid';

interface LayerBase {
  /** value ids read by the layer */
  inputs: number[];
  /** value id written by the layer */
  output: number;
}

/** 2-D convolution with bias and fused activation; filter is [filterHeight, filterWidth, inChannels, outChannels]. */
export interface Conv2dLayer extends LayerBase {
  op: 'conv2d';
  filter: Float32Array;
  filterShape: [number, number, number, number];
  bias: Float32Array;
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  activation: Activation;
}

/** Depthwise convolution; filter is [filterHeight, filterWidth, inChannels, depthMultiplier], bias [inChannels * depthMultiplier]. */
export interface DepthwiseConv2dLayer extends Omit<Conv2dLayer, 'op'> {
  op: 'depthwiseConv2d';
}

/** Element-wise sum of two values of the same shape (residual connections). */
export interface AddLayer extends LayerBase {
  op: 'add';
  activation: Activation;
}

export interface Pool2dLayer extends LayerBase {
  op: 'avgPool' | 'maxPool';
  filterSize: [number, number];
  strides: [number, number];
  padding: Padding;
  activation: Activation;
}

/** Mean over height and width: [b, h, w, c] to [b, c], or to [b, 1, 1, c] with keepDims. */
export interface MeanLayer extends LayerBase {
  op: 'mean';
  keepDims: boolean;
}

/** [b, inSize] x weights [inSize, outSize] + bias [outSize]. */
export interface FullyConnectedLayer extends LayerBase {
  op: 'fullyConnected';
  weights: Float32Array;
  inSize: number;
  outSize: number;
  bias: Float32Array;
  activation: Activation;
}

/** Reshape keeping the batch dimension; `shape` excludes it. */
export interface ReshapeLayer extends LayerBase {
  op: 'reshape';
  shape: number[];
}

/** softmax(beta * x) over the last axis. */
export interface SoftmaxLayer extends LayerBase {
  op: 'softmax';
  beta: number;
}

export type BackboneLayer =
  | Conv2dLayer
  | DepthwiseConv2dLayer
  | AddLayer
  | Pool2dLayer
  | MeanLayer
  | FullyConnectedLayer
  | ReshapeLayer
  | SoftmaxLayer;

export interface BackboneGraph {
  spec: BackboneSpec;
  /** value id of the normalized pixels, [batch, inputHeight, inputWidth, inputChannels] */
  input: number;
  /** layers from `input` to `embedding`, in execution order */
  layers: BackboneLayer[];
  /** value id of the embedding, [batch, embeddingSize] */
  embedding: number;
  /** the original classifier, from `embedding` to `output`, ending in a softmax; empty when the file had none */
  classifier: BackboneLayer[];
  /** value id of the class probabilities, [batch, classifierClasses], or null without a classifier */
  output: number | null;
}
