/**
 * Turns a quantised TFLite backbone into an integer execution plan for the int8 engine: the steps from the
 * quantised input to the last feature map, with weights pre-packed once for the wasm kernels
 * (int8-kernels.as.ts), int32 biases as stored, per-output-channel requantisation scales and the clamp range of
 * each fused activation. The global pool that gives the embedding is the last step (it runs in float). Anything
 * the kernels do not cover gives `{ plan: null, reason }`, and the float path runs instead.
 */
import type { FusedActivation, TfliteModel, TfliteOperator, TfliteQuantization, TfliteTensor } from '../../tflite/read-tflite.ts';
import { BuiltinOperator } from '../../tflite/schema.ts';

/** A quantised activation: an int16 HWC map holding q - zeroPoint. */
export interface QuantValue {
  h: number;
  w: number;
  c: number;
  scale: number;
}

export interface Window {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padT: number;
  padL: number;
}

interface Requantized {
  input: number;
  output: number;
  bias: Int32Array;
  /** inputScale * weightScale[c] / outputScale per output channel */
  scale: Float32Array;
  /** clamp range of the output in q - zeroPoint units (type range and fused activation) */
  lo: number;
  hi: number;
}

/** A convolution as a matrix product; `window` null for a 1x1 stride-1 convolution read in place. */
export interface ConvStep extends Requantized {
  op: 'conv';
  window: Window | null;
  /** values per row of the product: kh * kw * inChannels rounded up to even */
  kpad: number;
  weights: Int16Array;
}

export interface DepthwiseStep extends Requantized {
  op: 'dwconv';
  window: Window;
  /** int16 [kh * kw][channels] */
  weights: Int16Array;
  /** for a 3x3 window, the same packed for the kernel's interior path (see dw3x3 in int8-kernels.as.ts), else empty */
  paired: Int16Array;
}

export interface AddStep {
  op: 'add';
  inputs: [number, number];
  output: number;
  /** input scale / output scale, for each input */
  sa: number;
  sb: number;
  lo: number;
  hi: number;
}

export type Int8Step = ConvStep | DepthwiseStep | AddStep;

export interface Int8Plan {
  /** the quantised model input: value id, int16 q - zeroPoint = clamp(round(real / scale)) */
  input: number;
  inputScale: number;
  inputLo: number;
  inputHi: number;
  values: Map<number, QuantValue>;
  steps: Int8Step[];
  /** the feature map the global pool averages into the embedding */
  pooled: number;
  multiplyAdds: number;
}

class Unsupported extends Error {}

function quantOf(t: TfliteTensor): TfliteQuantization {
  const q = t.quantization;
  if ((t.type !== 'uint8' && t.type !== 'int8') || !q || q.scale.length !== 1) throw new Unsupported(`tensor ${t.name} is not a per-tensor quantised uint8/int8 activation`);
  return q;
}

/** TFLite's CalculateActivationRangeQuantized, in q - zeroPoint units. */
function clampRange(t: TfliteTensor, activation: FusedActivation): [number, number] {
  const q = quantOf(t);
  const z = q.zeroPoint[0];
  let lo = (t.type === 'uint8' ? 0 : -128) - z;
  let hi = (t.type === 'uint8' ? 255 : 127) - z;
  if (activation === 'relu' || activation === 'relu6') lo = Math.max(lo, 0);
  if (activation === 'relu6') hi = Math.min(hi, Math.round(6 / q.scale[0]));
  else if (activation !== 'none' && activation !== 'relu') throw new Unsupported(`fused activation ${activation}`);
  return [lo, hi];
}

/** TFLite's padding: SAME pads (out - 1) * stride + k - in in total, the smaller half on top/left. */
function windowOf(x: QuantValue, out: TfliteTensor, kh: number, kw: number, o: { padding: string; strideH: number; strideW: number; dilationH?: number; dilationW?: number }): Window {
  if ((o.dilationH ?? 1) !== 1 || (o.dilationW ?? 1) !== 1) throw new Unsupported('dilated convolution');
  const [, oh, ow] = out.shape;
  const pad = (size: number, outSize: number, k: number, s: number) => (o.padding === 'same' ? Math.floor(Math.max(0, (outSize - 1) * s + k - size) / 2) : 0);
  return { kh, kw, sh: o.strideH, sw: o.strideW, padT: pad(x.h, oh, kh, o.strideH), padL: pad(x.w, ow, kw, o.strideW) };
}

/** Weights as signed integers (the TFLite buffer as it is) and their zero point per output channel. */
function weightsOf(model: TfliteModel, t: TfliteTensor, channels: number, axis: number): { raw: ArrayLike<number>; zero: number[]; scale: number[] } {
  const q = t.quantization;
  const data = model.buffers[t.buffer];
  if (!q || !data || (t.type !== 'uint8' && t.type !== 'int8')) throw new Unsupported(`weights ${t.name} are not quantised uint8/int8 constants`);
  if (q.scale.length !== 1 && (q.scale.length !== channels || q.quantizedDimension !== axis)) throw new Unsupported(`weights ${t.name} are quantised along an unexpected axis`);
  const raw = t.type === 'int8' ? new Int8Array(data.buffer, data.byteOffset, data.length) : data;
  const per = (v: number[]) => (v.length === 1 ? new Array<number>(channels).fill(v[0]) : v);
  return { raw, zero: per(q.zeroPoint), scale: per(q.scale) };
}

function biasOf(model: TfliteModel, op: TfliteOperator, tensors: TfliteTensor[], channels: number): Int32Array {
  const t = tensors[op.inputs[2] ?? -1];
  if (!t) return new Int32Array(channels);
  const data = model.buffers[t.buffer];
  if (t.type !== 'int32' || !data || data.length !== 4 * channels) throw new Unsupported(`bias ${t.name} is not ${channels} int32 values`);
  return new Int32Array(data.slice().buffer);
}

/** Packs [outChannels][k] weights for `gemm`: per block of 8 channels, per pair of k, channels 0-3 then 4-7. */
function packGemm(raw: ArrayLike<number>, zero: number[], outChannels: number, k: number, kpad: number): Int16Array {
  const out = new Int16Array(outChannels * kpad);
  let i = 0;
  for (let b = 0; b < outChannels; b += 8) {
    for (let p = 0; p < kpad; p += 2) {
      for (let n = b; n < b + 8; n++) {
        out[i++] = p < k ? raw[n * k + p] - zero[n] : 0;
        out[i++] = p + 1 < k ? raw[n * k + p + 1] - zero[n] : 0;
      }
    }
  }
  return out;
}

/** 3x3 depthwise weights [9][c] as dw3x3 reads them: per 8 channels, taps (0,1) (2,3) (4,5) (6,7) interleaved, then tap 8. */
function pairTaps(weights: Int16Array, c: number): Int16Array {
  const out = new Int16Array(9 * c);
  let i = 0;
  for (let b = 0; b < c; b += 8) {
    for (let t = 0; t < 8; t += 2) {
      for (let j = b; j < b + 8; j++) {
        out[i++] = weights[t * c + j];
        out[i++] = weights[(t + 1) * c + j];
      }
    }
    for (let j = b; j < b + 8; j++) out[i++] = weights[8 * c + j];
  }
  return out;
}

interface Builder {
  model: TfliteModel;
  tensors: TfliteTensor[];
  values: Map<number, QuantValue>;
  alias: Map<number, number>;
  steps: Int8Step[];
  multiplyAdds: number;
}

function valueOf(b: Builder, tensor: number): { id: number; v: QuantValue } {
  const id = b.alias.get(tensor) ?? tensor;
  const v = b.values.get(id);
  if (!v) throw new Unsupported(`tensor ${tensor} is read before it is computed`);
  return { id, v };
}

function setValue(b: Builder, t: TfliteTensor): void {
  const [, h, w, c] = t.shape;
  if (t.shape.length !== 4 || c % 8 !== 0) throw new Unsupported(`activation ${t.name} [${t.shape.join(', ')}] is not a 4-D map with a multiple of 8 channels`);
  b.values.set(t.index, { h, w, c, scale: quantOf(t).scale[0] });
}

function requantized(b: Builder, op: TfliteOperator, out: TfliteTensor, w: { scale: number[] }, input: number, inScale: number, activation: FusedActivation): Requantized {
  const outScale = quantOf(out).scale[0];
  const [lo, hi] = clampRange(out, activation);
  const channels = out.shape[3];
  return { input, output: out.index, bias: biasOf(b.model, op, b.tensors, channels), scale: Float32Array.from(w.scale, (s) => (inScale * s) / outScale), lo, hi };
}

function addConv(b: Builder, op: TfliteOperator): void {
  if (op.options?.kind !== 'conv2d') throw new Unsupported('CONV_2D without options');
  const { id, v: x } = valueOf(b, op.inputs[0]);
  const f = b.tensors[op.inputs[1]];
  const out = b.tensors[op.outputs[0]];
  const [o, kh, kw, ci] = f.shape;
  if (ci !== x.c) throw new Unsupported(`CONV_2D filter [${f.shape.join(', ')}] does not fit its input`);
  const w = weightsOf(b.model, f, o, 0);
  const window = windowOf(x, out, kh, kw, op.options);
  setValue(b, out);
  const k = kh * kw * ci;
  const kpad = k + (k % 2);
  const pointwise = kh === 1 && kw === 1 && window.sh === 1 && window.sw === 1 && k === kpad;
  b.steps.push({
    op: 'conv', ...requantized(b, op, out, w, id, x.scale, op.options.activation),
    window: pointwise ? null : window, kpad, weights: packGemm(w.raw, w.zero, o, k, kpad),
  });
  b.multiplyAdds += out.shape[1] * out.shape[2] * o * k;
}

function addDepthwise(b: Builder, op: TfliteOperator): void {
  if (op.options?.kind !== 'depthwiseConv2d') throw new Unsupported('DEPTHWISE_CONV_2D without options');
  const { id, v: x } = valueOf(b, op.inputs[0]);
  const f = b.tensors[op.inputs[1]];
  const out = b.tensors[op.outputs[0]];
  const [, kh, kw, c] = f.shape;
  if (c !== x.c) throw new Unsupported('depthwise convolution with a depth multiplier other than 1');
  const w = weightsOf(b.model, f, c, 3);
  const weights = new Int16Array(kh * kw * c);
  for (let i = 0; i < weights.length; i++) weights[i] = w.raw[i] - w.zero[i % c];
  const window = windowOf(x, out, kh, kw, op.options);
  setValue(b, out);
  const paired = kh === 3 && kw === 3 ? pairTaps(weights, c) : new Int16Array(0);
  b.steps.push({ op: 'dwconv', ...requantized(b, op, out, w, id, x.scale, op.options.activation), window, weights, paired });
  b.multiplyAdds += out.shape[1] * out.shape[2] * c * kh * kw;
}

function addAdd(b: Builder, op: TfliteOperator): void {
  if (op.options?.kind !== 'add') throw new Unsupported('ADD without options');
  const x = valueOf(b, op.inputs[0]);
  const y = valueOf(b, op.inputs[1]);
  const out = b.tensors[op.outputs[0]];
  if (x.v.h !== y.v.h || x.v.w !== y.v.w || x.v.c !== y.v.c) throw new Unsupported('ADD with broadcasting');
  setValue(b, out);
  const s = quantOf(out).scale[0];
  const [lo, hi] = clampRange(out, op.options.activation);
  b.steps.push({ op: 'add', inputs: [x.id, y.id], output: out.index, sa: x.v.scale / s, sb: y.v.scale / s, lo, hi });
}

/** The model input as the network sees it: the input tensor, or what a QUANTIZE of it produces. */
function addInput(b: Builder): { input: number; inputScale: number; inputLo: number; inputHi: number } {
  const graph = b.model.subgraphs[0];
  const index = graph.inputs[0];
  const requantize = graph.operators.find((op) => op.opcode === BuiltinOperator.QUANTIZE && op.inputs[0] === index);
  const seen = requantize ? b.tensors[requantize.outputs[0]] : b.tensors[index];
  const [h, w, c] = seen.shape.slice(1);
  b.values.set(seen.index, { h, w, c, scale: quantOf(seen).scale[0] });
  if (requantize) b.alias.set(index, seen.index);
  const [lo, hi] = clampRange(seen, 'none');
  return { input: seen.index, inputScale: quantOf(seen).scale[0], inputLo: lo, inputHi: hi };
}

/**
 * The integer plan of a quantised backbone up to `embeddingOp` (the global pool, found by the float importer).
 * @returns the plan, or null and why the int8 engine cannot run this model (float weights, other operators)
 */
export function planInt8(model: TfliteModel, embeddingOp: number): { plan: Int8Plan; reason: null } | { plan: null; reason: string } {
  const graph = model.subgraphs[0];
  const b: Builder = { model, tensors: graph.tensors, values: new Map(), alias: new Map(), steps: [], multiplyAdds: 0 };
  try {
    const input = addInput(b);
    let pooled = -1;
    graph.operators.slice(0, embeddingOp + 1).forEach((op, i) => {
      if (i === embeddingOp) pooled = valueOf(b, op.inputs[0]).id;
      else if (op.opcode === BuiltinOperator.CONV_2D) addConv(b, op);
      else if (op.opcode === BuiltinOperator.DEPTHWISE_CONV_2D) addDepthwise(b, op);
      else if (op.opcode === BuiltinOperator.ADD) addAdd(b, op);
      else if (!(op.opcode === BuiltinOperator.QUANTIZE && b.alias.get(op.inputs[0]) === op.outputs[0])) throw new Unsupported(`operator ${i} (${op.opName})`);
    });
    return { plan: { ...input, values: b.values, steps: b.steps, pooled, multiplyAdds: b.multiplyAdds }, reason: null };
  } catch (error) {
    if (error instanceof Unsupported) return { plan: null, reason: error.message };
    throw error;
  }
}
