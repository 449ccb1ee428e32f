/**
 * A `BackboneGraph`'s embedding layers as plain TensorFlow.js Layers (conv2d / depthwiseConv2d with their own
 * activation, add, pooling, reshape): what a straightforward conversion gives, and what `tf.loadLayersModel`
 * loads from a saved model.json anywhere TensorFlow.js runs. The service runs the fused `backbone-model.ts`
 * instead (faster on wasm); `test/unit/layers-baseline.test.ts` checks that both compute the same function.
 * Never imported by the worker: tfjs-layers stays out of its bundle.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BackboneGraph, BackboneLayer } from './backbone-graph.ts';

type Symbolic = tfl.SymbolicTensor;

interface Built {
  layer: tfl.layers.Layer;
  output: Symbolic;
  weights?: () => tf.Tensor[];
}

function convolution(layer: Extract<BackboneLayer, { op: 'conv2d' | 'depthwiseConv2d' }>, x: Symbolic, name: string): Built {
  const [kh, kw, , out] = layer.filterShape;
  const common = { name, kernelSize: [kh, kw] as [number, number], strides: layer.strides, padding: layer.padding, dilationRate: layer.dilations, activation: layer.activation, useBias: true };
  const l = layer.op === 'conv2d' ? tfl.layers.conv2d({ ...common, filters: out }) : tfl.layers.depthwiseConv2d({ ...common, depthMultiplier: out });
  return { layer: l, output: l.apply(x) as Symbolic, weights: () => [tf.tensor4d(layer.filter, layer.filterShape), tf.tensor1d(layer.bias)] };
}

function addLayer(layer: BackboneLayer, values: Map<number, Symbolic>): Built {
  const x = values.get(layer.inputs[0])!;
  const name = `v${layer.output}`;
  const plain = (l: tfl.layers.Layer): Built => ({ layer: l, output: l.apply(x) as Symbolic });
  switch (layer.op) {
    case 'conv2d':
    case 'depthwiseConv2d':
      return convolution(layer, x, name);
    case 'add': {
      if (layer.activation !== 'linear') throw new Error('the Layers conversion does not support activations fused into add');
      const l = tfl.layers.add({ name });
      return { layer: l, output: l.apply([x, values.get(layer.inputs[1])!]) as Symbolic };
    }
    case 'avgPool':
    case 'maxPool': {
      if (layer.activation !== 'linear') throw new Error('the Layers conversion does not support activations fused into pooling');
      const args = { name, poolSize: layer.filterSize, strides: layer.strides, padding: layer.padding };
      return plain(layer.op === 'avgPool' ? tfl.layers.averagePooling2d(args) : tfl.layers.maxPooling2d(args));
    }
    case 'mean': {
      const l = tfl.layers.globalAveragePooling2d({ name });
      const pooled = l.apply(x) as Symbolic;
      if (!layer.keepDims) return { layer: l, output: pooled };
      const r = tfl.layers.reshape({ name: `${name}_keep`, targetShape: [1, 1, pooled.shape[1]!] });
      return { layer: r, output: r.apply(pooled) as Symbolic };
    }
    case 'reshape':
      return plain(tfl.layers.reshape({ name, targetShape: layer.shape }));
    case 'fullyConnected':
    case 'softmax':
      throw new Error(`the Layers conversion builds the embedding only, not ${layer.op}`);
  }
}

/**
 * Applies the graph's embedding layers to `input` (normalised pixels, [batch, inputHeight, inputWidth, 3]) and
 * sets their weights (copied; the graph is untouched). Must run after a tfjs backend is selected.
 * @returns the symbolic embedding, [batch, embeddingSize]
 * @throws Error for a layer the plain Layers API cannot express (an activation fused into add or pooling)
 */
export function applyBackboneLayers(graph: BackboneGraph, input: Symbolic): Symbolic {
  const values = new Map<number, Symbolic>([[graph.input, input]]);
  for (const layer of graph.layers) {
    const built = addLayer(layer, values);
    values.set(layer.output, built.output);
    if (built.weights) {
      const weights = built.weights();
      built.layer.setWeights(weights);
      tf.dispose(weights);
    }
  }
  return values.get(graph.embedding)!;
}
