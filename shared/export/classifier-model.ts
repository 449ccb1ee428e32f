/**
 * The whole classifier (backbone + head + temperature) as one TensorFlow.js LayersModel, for `edgehead export`:
 *   pixels [batch, h, w, 3], RGB 0..255 -> rescale to the backbone's input range -> backbone layers ->
 *   embedding -> head (standardisation folded into its first dense layer) -> softmax(logits / temperature)
 * so `model.predict` gives the calibrated probabilities per label that `/v1/classify` scores with.
 * Never imported by the worker: tfjs-layers stays out of its bundle.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BackboneGraph } from '../backbone/backbone-graph.ts';
import { applyBackboneLayers } from '../backbone/backbone-layers.ts';
import type { Head } from '../head/head-types.ts';

/** What a user needs beside the weights: stored in model.json as `userDefinedMetadata.edgehead`. */
export interface ClassifierMetadata {
  labels: string[];
  headVersion: string;
  backboneId: string;
  backboneName: string;
  input: {
    height: number;
    width: number;
    channels: number;
    /** the model rescales itself: feed RGB values 0..255, no normalisation */
    pixelRange: [number, number];
    /** what the model does inside: real = (pixel - pixelZeroPoint) * pixelScale */
    pixelScale: number;
    pixelZeroPoint: number;
    /** how the service fits a photo to the input */
    resize: string;
  };
  /** softmax temperature already applied inside the model */
  temperature: number;
  /** per-label "unknown" thresholds on the calibrated probability, when the head has them */
  thresholds: number[] | null;
  backgroundLabel: string | null;
}

export const RESIZE_RULE =
  'scale the photo so its shorter side matches the input (area average when shrinking), then crop the centre to height x width';

/**
 * Folds z = (x - mean) * scale into the dense layer that follows it, and divides by `divisor` (the temperature
 * for the last layer): W'[j][c] = scale[j] W[j][c] / divisor, b'[c] = (b[c] - sum_j mean[j] scale[j] W[j][c]) / divisor.
 * Computed in float64. W is row-major [inputs][outputs].
 */
function foldDense(weights: Float32Array, bias: Float32Array, outputs: number, mean: Float32Array | null, scale: Float32Array | null, divisor: number) {
  const inputs = weights.length / outputs;
  const w = new Float32Array(weights.length);
  const b = new Float64Array(bias);
  for (let j = 0; j < inputs; j++) {
    const s = scale ? scale[j] : 1;
    const m = mean ? mean[j] : 0;
    for (let c = 0; c < outputs; c++) {
      const folded = s * weights[j * outputs + c];
      w[j * outputs + c] = folded / divisor;
      b[c] -= m * folded;
    }
  }
  return { weights: w, bias: Float32Array.from(b, (v) => v / divisor), inputs };
}

function dense(x: tfl.SymbolicTensor, name: string, activation: 'relu' | 'softmax', folded: ReturnType<typeof foldDense>, outputs: number): tfl.SymbolicTensor {
  const layer = tfl.layers.dense({ name, units: outputs, activation, useBias: true });
  const y = layer.apply(x) as tfl.SymbolicTensor;
  const weights = [tf.tensor2d(folded.weights, [folded.inputs, outputs]), tf.tensor1d(folded.bias)];
  layer.setWeights(weights);
  tf.dispose(weights);
  return y;
}

/**
 * Builds the exported classifier. Must run after a tfjs backend is selected; the caller disposes the model.
 * @param graph the imported backbone (`importTflite`), the same one the service runs
 * @param head the head, with its temperature; its embeddingSize must be the backbone's
 * @returns a LayersModel: input `pixels` [batch, inputHeight, inputWidth, 3] (RGB 0..255), output
 *   `probabilities` [batch, labels.length] in head.labels order
 * @throws Error when the head does not fit the backbone
 */
export function buildClassifierModel(graph: BackboneGraph, head: Head): tfl.LayersModel {
  const { spec } = graph;
  if (head.embeddingSize !== spec.embeddingSize) {
    throw new Error(`the head takes embeddings of ${head.embeddingSize} values but backbone ${spec.name} gives ${spec.embeddingSize}`);
  }
  const k = head.labels.length;
  const input = tfl.input({ shape: [spec.inputHeight, spec.inputWidth, spec.inputChannels], name: 'pixels' });
  const rescale = tfl.layers.rescaling({ name: 'rescale', scale: spec.pixelScale, offset: -spec.pixelZeroPoint * spec.pixelScale });
  const embedding = applyBackboneLayers(graph, rescale.apply(input) as tfl.SymbolicTensor);
  let x = embedding;
  if (head.hidden) {
    const h = head.hidden.size;
    x = dense(x, 'head_hidden', 'relu', foldDense(head.hidden.weights, head.hidden.bias, h, head.featureMean, head.featureScale, 1), h);
    x = dense(x, 'probabilities', 'softmax', foldDense(head.weights, head.bias, k, null, null, head.temperature), k);
  } else {
    x = dense(x, 'probabilities', 'softmax', foldDense(head.weights, head.bias, k, head.featureMean, head.featureScale, head.temperature), k);
  }
  return tfl.model({ inputs: input, outputs: x, name: 'edgehead_classifier' });
}
