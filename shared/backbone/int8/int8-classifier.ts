/**
 * The original classifier of a quantised backbone as TFLite computes it, for `classify` on the int8 engine: the
 * pooled features quantised to the pool's output tensor, the 1x1 convolution or fully connected layer in integers
 * with TFLite's requantisation to 8-bit logits, then softmax (in float: it keeps the order of the 8-bit logits).
 * Near-ties between classes then fall as TFLite's own do, which a float classifier on float features does not
 * guarantee. Plain JavaScript: it runs once per `classify` call, never on the serving path.
 */
import type { TfliteModel, TfliteOperator, TfliteTensor } from '../../tflite/read-tflite.ts';
import { BuiltinOperator } from '../../tflite/schema.ts';

/** Operators after the pool that do not change the order of the classes. */
const PASS_THROUGH: readonly number[] = [BuiltinOperator.RESHAPE, BuiltinOperator.SQUEEZE, BuiltinOperator.SOFTMAX, BuiltinOperator.QUANTIZE, BuiltinOperator.DEQUANTIZE];

interface QuantisedLayer {
  /** [outSize][inSize] weights minus their zero point */
  weights: Int16Array;
  bias: Int32Array;
  inSize: number;
  outSize: number;
  /** inputScale * weightScale[o] / outputScale */
  multiplier: Float64Array;
  inScale: number;
  outScale: number;
  lo: number;
  hi: number;
}

export interface QuantisedClassifier {
  classes: number;
  /** on the embedding (the float mean of the last feature map): class probabilities */
  run(embedding: Float32Array): Float32Array;
}

const range = (t: TfliteTensor) => (t.type === 'uint8' ? [0, 255] : [-128, 127]).map((v) => v - (t.quantization?.zeroPoint[0] ?? 0));

function layerOf(model: TfliteModel, op: TfliteOperator, inScale: number): QuantisedLayer | null {
  const tensors = model.subgraphs[0].tensors;
  const w = tensors[op.inputs[1]];
  const out = tensors[op.outputs[0]];
  const bias = tensors[op.inputs[2] ?? -1];
  const data = model.buffers[w.buffer];
  const q = w.quantization;
  if (!q || !data || (w.type !== 'uint8' && w.type !== 'int8') || !out.quantization || out.quantization.scale.length !== 1) return null;
  if (op.options && 'activation' in op.options && op.options.activation !== 'none') return null;
  const outSize = w.shape[0];
  const inSize = data.length / outSize;
  const raw = w.type === 'int8' ? new Int8Array(data.buffer, data.byteOffset, data.length) : data;
  const weights = new Int16Array(data.length);
  for (let i = 0; i < weights.length; i++) weights[i] = raw[i] - q.zeroPoint[q.zeroPoint.length === 1 ? 0 : Math.floor(i / inSize)];
  const biasData = bias ? model.buffers[bias.buffer] : undefined;
  if (bias && (bias.type !== 'int32' || !biasData || biasData.length !== 4 * outSize)) return null;
  const outScale = out.quantization.scale[0];
  const [lo, hi] = range(out);
  return {
    weights, inSize, outSize, inScale, outScale, lo, hi,
    bias: biasData ? new Int32Array(biasData.slice().buffer) : new Int32Array(outSize),
    multiplier: Float64Array.from({ length: outSize }, (_, o) => (inScale * q.scale[q.scale.length === 1 ? 0 : o]) / outScale),
  };
}

function forward(layer: QuantisedLayer, x: Int32Array): Int32Array {
  const y = new Int32Array(layer.outSize);
  for (let o = 0; o < layer.outSize; o++) {
    let acc = layer.bias[o];
    const row = o * layer.inSize;
    for (let i = 0; i < layer.inSize; i++) acc += x[i] * layer.weights[row + i];
    y[o] = Math.min(layer.hi, Math.max(layer.lo, Math.round(acc * layer.multiplier[o])));
  }
  return y;
}

/**
 * The integer classifier after operator `embeddingOp`, or null when it is anything but pool-quantise, 1x1
 * convolutions or fully connected layers (no fused activation), reshapes and a softmax (the caller then runs the
 * float classifier).
 */
export function quantisedClassifier(model: TfliteModel, embeddingOp: number): QuantisedClassifier | null {
  const graph = model.subgraphs[0];
  const pooled = graph.tensors[graph.operators[embeddingOp].outputs[0]];
  if (!pooled.quantization || pooled.quantization.scale.length !== 1) return null;
  const layers: QuantisedLayer[] = [];
  let scale = pooled.quantization.scale[0];
  for (const op of graph.operators.slice(embeddingOp + 1)) {
    if (op.opcode === BuiltinOperator.CONV_2D || op.opcode === BuiltinOperator.FULLY_CONNECTED) {
      const layer = layerOf(model, op, scale);
      if (!layer) return null;
      layers.push(layer);
      scale = layer.outScale;
    } else if (!PASS_THROUGH.includes(op.opcode)) {
      return null;
    }
  }
  if (layers.length === 0) return null;
  const [lo, hi] = range(pooled);
  const inScale = pooled.quantization.scale[0];
  const run = (embedding: Float32Array): Float32Array => {
    let x: Int32Array = Int32Array.from(embedding, (v) => Math.min(hi, Math.max(lo, Math.round(v / inScale))));
    for (const layer of layers) x = forward(layer, x);
    const logits = Float32Array.from(x, (v) => v * scale);
    let max = -Infinity;
    for (const v of logits) max = Math.max(max, v);
    let sum = 0;
    for (let i = 0; i < logits.length; i++) sum += logits[i] = Math.exp(logits[i] - max);
    for (let i = 0; i < logits.length; i++) logits[i] /= sum;
    return logits;
  };
  return { classes: layers[layers.length - 1].outSize, run };
}
