/**
 * Turns a quantized (or float) TFLite image classifier into a float32 `BackboneGraph`: weights are
 * dequantized, activation quantization is ignored, fused activations and paddings are kept. The embedding
 * is the output of the last global average pool; what follows it is kept as the original classifier.
 */
import { InvalidModelError } from '../errors.ts';
import { readTflite, type FusedActivation, type TfliteModel, type TfliteOperator, type TfliteTensor } from '../tflite/read-tflite.ts';
import { BuiltinOperator, TENSOR_TYPE_BYTES } from '../tflite/schema.ts';
import type { Activation, BackboneGraph, BackboneLayer, Padding } from './backbone-graph.ts';
import type { BackboneSpec } from './backbone-spec.ts';

export type { BackboneGraph, BackboneLayer } from './backbone-graph.ts';

const SUPPORTED_OPS =
  'CONV_2D, DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN (over height and width), FULLY_CONNECTED, ' +
  'RESHAPE, SQUEEZE, SOFTMAX, QUANTIZE, DEQUANTIZE';

export interface ImportTfliteOptions {
  /** name for the spec; defaults to the file's metadata name, then its description, then "tflite-backbone" */
  name?: string;
  /**
   * Stop at the embedding: the original classifier after the global pool is neither checked nor dequantized,
   * and the graph comes back with `classifier: []`, `output: null` and `spec.classifierClasses: null`. For
   * serving, which only embeds: MobileNet's classifier holds a third of its weights.
   */
  embeddingOnly?: boolean;
  /**
   * Where each weight and bias array is written: a fresh Float32Array by default. The serving path passes views
   * of the wasm heap where the tensors will live, so the weights are written once, where the kernels read
   * them. The importer fills every element of an array before it asks for the next one and never reads it back.
   */
  allocate?: (length: number) => Float32Array;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function activationOf(activation: FusedActivation, op: string): Activation {
  if (activation === 'none') return 'linear';
  if (activation === 'relu' || activation === 'relu6') return activation;
  throw new InvalidModelError(`${op} uses fused activation ${activation.toUpperCase()}; supported: NONE, RELU, RELU6`);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Float constant data as a typed array: a view when aligned, else an aligned copy; float16 converted. */
function floats(type: 'float32' | 'float16' | 'float64', data: Uint8Array, count: number): Float32Array | Float64Array {
  const bytesPer = type === 'float64' ? 8 : type === 'float32' ? 4 : 2;
  if (type !== 'float16' && data.byteOffset % bytesPer === 0) {
    return type === 'float32' ? new Float32Array(data.buffer, data.byteOffset, count) : new Float64Array(data.buffer, data.byteOffset, count);
  }
  const aligned = data.slice().buffer;
  if (type === 'float32') return new Float32Array(aligned, 0, count);
  if (type === 'float64') return new Float64Array(aligned, 0, count);
  const half = new Uint16Array(aligned, 0, count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = halfToFloat(half[i]);
  return out;
}

/** Integer constant data as a typed array; wider types are copied so that they are aligned. */
function integers(type: TfliteTensor['type'], data: Uint8Array, count: number): ArrayLike<number> {
  if (type === 'uint8') return data;
  if (type === 'int8') return new Int8Array(data.buffer, data.byteOffset, count);
  const aligned = data.slice().buffer;
  if (type === 'int16') return new Int16Array(aligned, 0, count);
  if (type === 'int32') return new Int32Array(aligned, 0, count);
  return Float64Array.from(new BigInt64Array(aligned, 0, count), Number);
}

class Importer {
  private readonly graphTensors: TfliteTensor[];
  private readonly alias = new Map<number, number>();
  /** static shape (batch 1) of every value the float network produces */
  private readonly shapes = new Map<number, number[]>();
  /** constants produced by DEQUANTIZE of a constant (e.g. float16 weights) */
  private readonly folded = new Map<number, Float32Array>();

  constructor(
    private readonly model: TfliteModel,
    private readonly allocate: (length: number) => Float32Array,
  ) {
    this.graphTensors = model.subgraphs[0].tensors;
  }

  tensor(index: number, what: string): TfliteTensor {
    const t = this.graphTensors[index];
    if (!t) throw new InvalidModelError(`TFLite ${what} is missing (tensor index ${index})`);
    return t;
  }

  isConstant(index: number): boolean {
    if (this.folded.has(index)) return true;
    const t = this.graphTensors[index];
    return t !== undefined && (this.model.buffers[t.buffer]?.length ?? 0) > 0;
  }

  value(index: number): number {
    return this.alias.get(index) ?? index;
  }

  shapeOf(value: number, what: string): number[] {
    const shape = this.shapes.get(value);
    if (!shape) throw new InvalidModelError(`TFLite ${what} reads tensor ${value}, which no supported operator produces before it`);
    return shape;
  }

  setShape(value: number, shape: number[]): void {
    this.shapes.set(value, shape);
  }

  makeAlias(from: number, to: number): void {
    this.alias.set(from, this.value(to));
  }

  /**
   * A constant tensor as float32: float32 and float16 as they are, integer types through their (per-tensor or
   * per-axis) scale and zero point. `fallbackScale` serves int32 biases stored without quantization, whose
   * scale is input scale x weight scale by TFLite's convention. With `firstAxisLast` the first axis moves to
   * the end ([out, h, w, in] to [h, w, in, out]) in the same pass, sparing a second large copy. The result is
   * written into `into` (the import's allocator by default).
   */
  constant(
    index: number,
    what: string,
    options: { fallbackScale?: number[]; firstAxisLast?: boolean; into?: (length: number) => Float32Array } = {},
  ): Float32Array {
    const t = this.tensor(index, what);
    const first = t.shape[0] ?? 1;
    const allocate = options.into ?? this.allocate;
    const folded = this.folded.get(index);
    if (folded) {
      const out = allocate(folded.length);
      if (options.firstAxisLast) moveFirstAxisLast(folded, first, out);
      else out.set(folded);
      return out;
    }
    const data = this.model.buffers[t.buffer];
    const count = product(t.shape);
    const bytesPer = TENSOR_TYPE_BYTES[t.type];
    if (!data || data.length === 0) throw new InvalidModelError(`${what} (${t.name}) must be a constant but has no data`);
    if (bytesPer === undefined) throw new InvalidModelError(`${what} (${t.name}) has type ${t.type}; weights must be float32, float16, int8, uint8, int16 or int32`);
    if (data.length !== count * bytesPer) {
      throw new InvalidModelError(`${what} (${t.name}) holds ${data.length} bytes; shape [${t.shape.join(', ')}] of ${t.type} needs ${count * bytesPer}`);
    }
    let raw: ArrayLike<number>;
    let scale = [1];
    let zeroPoint = [0];
    let axis = 0;
    const float = t.type === 'float32' || t.type === 'float16' || t.type === 'float64';
    if (t.type === 'float32' || t.type === 'float16' || t.type === 'float64') {
      raw = floats(t.type, data, count);
    } else {
      raw = integers(t.type, data, count);
      const q = t.quantization;
      const s = q?.scale ?? options.fallbackScale;
      if (!s) throw new InvalidModelError(`${what} (${t.name}) is ${t.type} without quantization parameters; cannot dequantize it`);
      scale = s;
      zeroPoint = q?.zeroPoint ?? s.map(() => 0);
      axis = q?.quantizedDimension ?? 0;
    }
    const perAxis = scale.length > 1;
    const channels = perAxis ? t.shape[axis] : 1;
    if (channels !== scale.length || zeroPoint.length !== scale.length) {
      throw new InvalidModelError(
        `${what} (${t.name}) has ${scale.length} scales and ${zeroPoint.length} zero points for dimension ${axis} of shape [${t.shape.join(', ')}]`,
      );
    }
    const out = allocate(count);
    if (count === 0) return out;
    const transpose = options.firstAxisLast === true && first > 1;
    if (float && !transpose) {
      out.set(raw as Float32Array | Float64Array);
      return out;
    }
    const inner = perAxis ? product(t.shape.slice(axis + 1)) : count;
    const outer = count / (inner * channels);
    const rest = count / first;
    if (!transpose) {
      for (let i = 0, o = 0; o < outer; o++) {
        for (let c = 0; c < channels; c++, i += inner) dequantizeRun(raw, i, inner, zeroPoint[c], scale[c], out, i, 1);
      }
      return out;
    }
    // Transposing [first, rest] to [rest, first]: value i = (f, r) goes to r * first + f. A run of the source
    // with one scale stays on one row f when the quantized axis is the first (or the scale is per tensor).
    if (channels === 1 || (axis === 0 && outer === 1)) {
      for (let f = 0; f < first; f++) {
        const c = channels === 1 ? 0 : f;
        dequantizeRun(raw, f * rest, rest, zeroPoint[c], scale[c], out, f, first);
      }
      return out;
    }
    let i = 0;
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++) {
        for (let k = 0; k < inner; k++, i++) out[(i % rest) * first + ((i / rest) | 0)] = (raw[i] - zeroPoint[c]) * scale[c];
      }
    }
    return out;
  }

  /** Bias of a conv or fully connected op, zeros when the optional input is absent. */
  bias(op: TfliteOperator, channels: number, what: string): Float32Array {
    const index = op.inputs[2];
    if (index === undefined || index < 0) return this.allocate(channels).fill(0);
    const input = this.graphTensors[op.inputs[0]]?.quantization;
    const weights = this.graphTensors[op.inputs[1]]?.quantization;
    const fallback = input && weights ? weights.scale.map((s) => s * input.scale[0]) : undefined;
    const bias = this.constant(index, `${what} bias`, { fallbackScale: fallback });
    if (bias.length !== channels) throw new InvalidModelError(`${what} bias has ${bias.length} values for ${channels} output channels`);
    return bias;
  }

  /** An int32 constant (axes, shapes) as plain integers. */
  ints(index: number, what: string): number[] {
    const t = this.tensor(index, what);
    const data = this.model.buffers[t.buffer];
    if (t.type !== 'int32' || !data || data.length !== 4 * product(t.shape)) {
      throw new InvalidModelError(`${what} (${t.name}) must be a constant int32 tensor`);
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return Array.from({ length: data.length / 4 }, (_, i) => view.getInt32(4 * i, true));
  }

  foldDequantize(op: TfliteOperator): void {
    // An intermediate, read again when an operator uses it: kept in memory of its own.
    this.folded.set(op.outputs[0], this.constant(op.inputs[0], 'DEQUANTIZE input', { into: (length) => new Float32Array(length) }));
  }
}

function isGlobalPool(op: TfliteOperator, im: Importer): boolean {
  const input = im.tensor(op.inputs[0], `${op.opName} input`);
  if (input.shape.length !== 4) return false;
  if (op.opcode === BuiltinOperator.AVERAGE_POOL_2D && op.options?.kind === 'pool2d') {
    const output = im.tensor(op.outputs[0], `${op.opName} output`);
    return (
      op.options.activation === 'none' &&
      output.shape[1] === 1 &&
      output.shape[2] === 1 &&
      op.options.filterHeight >= input.shape[1] &&
      op.options.filterWidth >= input.shape[2] &&
      (op.options.padding === 'valid' || (op.options.filterHeight === input.shape[1] && op.options.filterWidth === input.shape[2]))
    );
  }
  if (op.opcode === BuiltinOperator.MEAN) {
    if (!im.isConstant(op.inputs[1])) return false;
    const axes = Array.from(im.ints(op.inputs[1], 'MEAN axes'), (a) => (a < 0 ? a + 4 : a)).sort((a, b) => a - b);
    return axes.length === 2 && axes[0] === 1 && axes[1] === 2;
  }
  return false;
}

/**
 * Checks a sliding window's strides and dilations and that the output size the file declares is the one
 * TFLite's SAME/VALID rule gives, so the executor's shapes can never drift from the file's.
 */
function checkWindow(
  what: string,
  xShape: number[],
  outShape: number[],
  filter: [number, number],
  o: { strideH: number; strideW: number; dilationH?: number; dilationW?: number; padding: Padding },
): [number, number] {
  const dilations = [o.dilationH ?? 1, o.dilationW ?? 1];
  const strides = [o.strideH, o.strideW];
  const expected = [0, 1].map((axis) => {
    const size = xShape[axis + 1];
    const span = (filter[axis] - 1) * dilations[axis] + 1;
    return o.padding === 'same' ? Math.ceil(size / strides[axis]) : Math.ceil((size - span + 1) / strides[axis]);
  });
  const valid = [...strides, ...dilations, ...filter].every((v) => Number.isInteger(v) && v >= 1 && v <= 4096);
  if (!valid || outShape.length !== 4 || expected[0] < 1 || outShape[1] !== expected[0] || outShape[2] !== expected[1]) {
    throw new InvalidModelError(
      `${what}: a ${filter.join('x')} window with strides ${strides.join('x')}, dilations ${dilations.join('x')} and ${o.padding} padding ` +
        `over input [${xShape.join(', ')}] does not give the declared output [${outShape.join(', ')}]`,
    );
  }
  return expected as [number, number];
}

/** real = (pixel - zeroPoint) * scale for pixels 0..255, from the quantization of whatever first sees them. */
function pixelMapping(model: TfliteModel, input: TfliteTensor): { pixelScale: number; pixelZeroPoint: number } {
  const fromQuantized = (t: TfliteTensor): { pixelScale: number; pixelZeroPoint: number } | null => {
    const q = t.quantization;
    if (!q) return null;
    if (q.scale.length !== 1) throw new InvalidModelError(`input tensor ${t.name} is quantized per channel; only per-tensor input quantization is supported`);
    // int8 inputs receive pixel - 128, so the zero point seen from 0..255 pixels moves up by 128.
    return { pixelScale: q.scale[0], pixelZeroPoint: q.zeroPoint[0] + (t.type === 'int8' ? 128 : 0) };
  };
  if (input.type === 'uint8') return fromQuantized(input) ?? { pixelScale: 1, pixelZeroPoint: 0 };
  if (input.type === 'int8') return fromQuantized(input) ?? { pixelScale: 1, pixelZeroPoint: 128 };
  if (input.type === 'float32') {
    const quantize = model.subgraphs[0].operators.find((op) => op.opcode === BuiltinOperator.QUANTIZE && op.inputs[0] === input.index);
    const quantized = quantize ? model.subgraphs[0].tensors[quantize.outputs[0]] : undefined;
    // A float input carries no range of its own; MobileNets expect [-1, 1].
    return (quantized && fromQuantized(quantized)) ?? { pixelScale: 1 / 127.5, pixelZeroPoint: 127.5 };
  }
  throw new InvalidModelError(`input tensor ${input.name} has type ${input.type}; supported input types are uint8, int8 and float32`);
}

/**
 * out[to + k * stride] = (raw[from + k] - zeroPoint) * scale for k < count. Kept tiny on purpose: a cold start
 * runs it on millions of weights before V8 has optimized it, and a small function is optimized in a fraction
 * of the time the importer's big loop took.
 */
function dequantizeRun(raw: ArrayLike<number>, from: number, count: number, zeroPoint: number, scale: number, out: Float32Array, to: number, stride: number): void {
  for (let k = from, end = from + count, t = to; k < end; k++, t += stride) out[t] = (raw[k] - zeroPoint) * scale;
}

/** [O, ...middle, I] (TFLite filters and fully connected weights) to [...middle, I, O] (TensorFlow.js), into `out`. */
function moveFirstAxisLast(data: Float32Array, first: number, out: Float32Array): void {
  const rest = data.length / first;
  for (let o = 0; o < first; o++) {
    const from = o * rest;
    for (let r = 0; r < rest; r++) out[r * first + o] = data[from + r];
  }
}

/**
 * Imports a TFLite image classifier (MobileNet V1/V2 style: uint8 per-tensor or int8 per-channel quantized,
 * or float) as a float32 backbone graph plus its original classifier.
 * @param bytes the whole `.tflite` file
 * @returns `{spec, input, layers, embedding, classifier, output}`; weights are fresh Float32Arrays (or what
 *   `options.allocate` returned), never views of `bytes`, so the bytes may be released afterwards
 * @throws InvalidModelError for a malformed file, an unsupported operator, activation or tensor type, or a
 *   network with no global average pool to take the embedding from
 */
export function importTflite(bytes: Uint8Array, options: ImportTfliteOptions = {}): BackboneGraph {
  const model = readTflite(bytes);
  const graph = model.subgraphs[0];
  const im = new Importer(model, options.allocate ?? ((length) => new Float32Array(length)));
  if (graph.inputs.length !== 1) throw new InvalidModelError(`TFLite model has ${graph.inputs.length} inputs; a backbone takes exactly one image`);
  const inputTensor = im.tensor(graph.inputs[0], 'model input');
  const [batch, height, width, channels] = inputTensor.shape;
  if (inputTensor.shape.length !== 4 || (batch !== 1 && batch !== -1) || !(height > 0 && width > 0 && channels > 0)) {
    throw new InvalidModelError(`TFLite model input has shape [${inputTensor.shape.join(', ')}]; expected an image [1, height, width, channels]`);
  }
  const input = inputTensor.index;
  im.setShape(input, [1, height, width, channels]);

  let embeddingOp = -1;
  graph.operators.forEach((op, i) => {
    if (isGlobalPool(op, im)) embeddingOp = i;
  });
  if (embeddingOp < 0) {
    throw new InvalidModelError(
      'TFLite model has no global average pool (AVERAGE_POOL_2D over the whole feature map, or MEAN over height and width), so there is no embedding to take',
    );
  }

  const layers: BackboneLayer[] = [];
  const classifier: BackboneLayer[] = [];
  let nextId = graph.tensors.length;
  let multiplyAdds = 0;
  let embedding = -1;

  graph.operators.forEach((op, i) => {
    const inClassifier = i > embeddingOp;
    if (inClassifier && options.embeddingOnly) return;
    const target = inClassifier ? classifier : layers;
    const what = `operator ${i} (${op.opName})`;
    const out = op.outputs[0];
    if (out === undefined || out < 0) throw new InvalidModelError(`${what} has no output`);
    const outTensor = im.tensor(out, `${what} output`);
    const xIndex = op.inputs[0];
    const x = xIndex === undefined || xIndex < 0 ? -1 : im.value(xIndex);

    switch (op.opcode) {
      case BuiltinOperator.QUANTIZE:
      case BuiltinOperator.DEQUANTIZE:
        // The float network ignores activation quantization: (de)quantizing a value is the identity.
        if (im.isConstant(xIndex)) im.foldDequantize(op);
        else im.makeAlias(out, xIndex);
        break;

      case BuiltinOperator.CONV_2D: {
        if (op.options?.kind !== 'conv2d') throw new InvalidModelError(`${what} has no Conv2DOptions`);
        const xShape = im.shapeOf(x, what);
        const filterTensor = im.tensor(op.inputs[1], `${what} filter`);
        const [outChannels, kh, kw, inChannels] = filterTensor.shape;
        if (filterTensor.shape.length !== 4) throw new InvalidModelError(`${what} filter has shape [${filterTensor.shape.join(', ')}]; expected [out, h, w, in]`);
        const weights = im.constant(op.inputs[1], `${what} filter`, { firstAxisLast: true });
        const bias = im.bias(op, outChannels, what);
        const activation = activationOf(op.options.activation, what);
        if (inClassifier) {
          // After the pool the embedding is [b, c]; a 1x1 convolution on a 1x1 map is a fully connected layer.
          if (kh !== 1 || kw !== 1 || xShape.length !== 2 || xShape[1] !== inChannels) {
            throw new InvalidModelError(`${what} after the global pool must be a 1x1 convolution over ${xShape[1]} channels`);
          }
          target.push({ op: 'fullyConnected', inputs: [x], output: out, weights, inSize: inChannels, outSize: outChannels, bias, activation });
          im.setShape(out, [1, outChannels]);
          break;
        }
        if (xShape.length !== 4 || xShape[3] !== inChannels) {
          throw new InvalidModelError(`${what} filter expects ${inChannels} input channels but its input has shape [${xShape.join(', ')}]`);
        }
        const [oh, ow] = checkWindow(what, xShape, outTensor.shape, [kh, kw], op.options);
        layers.push({
          op: 'conv2d', inputs: [x], output: out,
          filter: weights, filterShape: [kh, kw, inChannels, outChannels], bias,
          strides: [op.options.strideH, op.options.strideW], dilations: [op.options.dilationH, op.options.dilationW],
          padding: op.options.padding, activation,
        });
        im.setShape(out, [1, oh, ow, outChannels]);
        multiplyAdds += oh * ow * outChannels * kh * kw * inChannels;
        break;
      }

      case BuiltinOperator.DEPTHWISE_CONV_2D: {
        if (op.options?.kind !== 'depthwiseConv2d') throw new InvalidModelError(`${what} has no DepthwiseConv2DOptions`);
        if (inClassifier) throw new InvalidModelError(`${what} follows the global pool; only a fully connected classifier may`);
        const xShape = im.shapeOf(x, what);
        const filterTensor = im.tensor(op.inputs[1], `${what} filter`);
        const [one, kh, kw, outChannels] = filterTensor.shape;
        const inChannels = xShape[3];
        const multiplier = outChannels / inChannels;
        if (filterTensor.shape.length !== 4 || one !== 1 || xShape.length !== 4 || !Number.isInteger(multiplier) ||
          (op.options.depthMultiplier > 0 && op.options.depthMultiplier !== multiplier)) {
          throw new InvalidModelError(`${what} filter [${filterTensor.shape.join(', ')}] does not fit input [${xShape.join(', ')}] with depth multiplier ${op.options.depthMultiplier}`);
        }
        const [oh, ow] = checkWindow(what, xShape, outTensor.shape, [kh, kw], op.options);
        // TFLite [1, h, w, in * m] and TensorFlow.js [h, w, in, m] share one memory layout.
        layers.push({
          op: 'depthwiseConv2d', inputs: [x], output: out,
          filter: im.constant(op.inputs[1], `${what} filter`), filterShape: [kh, kw, inChannels, multiplier],
          bias: im.bias(op, outChannels, what),
          strides: [op.options.strideH, op.options.strideW], dilations: [op.options.dilationH, op.options.dilationW],
          padding: op.options.padding, activation: activationOf(op.options.activation, what),
        });
        im.setShape(out, [1, oh, ow, outChannels]);
        multiplyAdds += oh * ow * outChannels * kh * kw;
        break;
      }

      case BuiltinOperator.ADD: {
        if (op.options?.kind !== 'add') throw new InvalidModelError(`${what} has no AddOptions`);
        if (im.isConstant(op.inputs[0]) || im.isConstant(op.inputs[1])) throw new InvalidModelError(`${what} adds a constant; only the sum of two activations is supported`);
        const y = im.value(op.inputs[1]);
        const xShape = im.shapeOf(x, what);
        const yShape = im.shapeOf(y, what);
        if (xShape.join() !== yShape.join()) throw new InvalidModelError(`${what} broadcasts [${xShape.join(', ')}] with [${yShape.join(', ')}]; only equal shapes are supported`);
        target.push({ op: 'add', inputs: [x, y], output: out, activation: activationOf(op.options.activation, what) });
        im.setShape(out, xShape);
        break;
      }

      case BuiltinOperator.AVERAGE_POOL_2D:
      case BuiltinOperator.MAX_POOL_2D: {
        if (op.options?.kind !== 'pool2d') throw new InvalidModelError(`${what} has no Pool2DOptions`);
        const xShape = im.shapeOf(x, what);
        if (xShape.length !== 4) throw new InvalidModelError(`${what} needs a 4-D input, got [${xShape.join(', ')}]`);
        const activation = activationOf(op.options.activation, what);
        if (op.opcode === BuiltinOperator.AVERAGE_POOL_2D && isGlobalPool(op, im)) {
          const keepDims = i !== embeddingOp;
          layers.push({ op: 'mean', inputs: [x], output: out, keepDims });
          im.setShape(out, keepDims ? [1, 1, 1, xShape[3]] : [1, xShape[3]]);
          break;
        }
        if (inClassifier) throw new InvalidModelError(`${what} follows the global pool; only a fully connected classifier may`);
        const [oh, ow] = checkWindow(what, xShape, outTensor.shape, [op.options.filterHeight, op.options.filterWidth], op.options);
        layers.push({
          op: op.opcode === BuiltinOperator.MAX_POOL_2D ? 'maxPool' : 'avgPool', inputs: [x], output: out,
          filterSize: [op.options.filterHeight, op.options.filterWidth], strides: [op.options.strideH, op.options.strideW],
          padding: op.options.padding, activation,
        });
        im.setShape(out, [1, oh, ow, xShape[3]]);
        break;
      }

      case BuiltinOperator.MEAN: {
        if (inClassifier || !isGlobalPool(op, im)) throw new InvalidModelError(`${what} is supported only as a mean over height and width of a 4-D feature map`);
        const xShape = im.shapeOf(x, what);
        const keepDims = i !== embeddingOp && op.options?.kind === 'reducer' && op.options.keepDims;
        layers.push({ op: 'mean', inputs: [x], output: out, keepDims });
        im.setShape(out, keepDims ? [1, 1, 1, xShape[3]] : [1, xShape[3]]);
        break;
      }

      case BuiltinOperator.FULLY_CONNECTED: {
        if (op.options?.kind !== 'fullyConnected') throw new InvalidModelError(`${what} has no FullyConnectedOptions`);
        if (op.options.weightsFormat !== 0) throw new InvalidModelError(`${what} uses shuffled weights format ${op.options.weightsFormat}; only DEFAULT (0) is supported`);
        const xShape = im.shapeOf(x, what);
        const weightsTensor = im.tensor(op.inputs[1], `${what} weights`);
        const [outSize, inSize] = weightsTensor.shape;
        if (weightsTensor.shape.length !== 2 || product(xShape.slice(1)) !== inSize) {
          throw new InvalidModelError(`${what} weights [${weightsTensor.shape.join(', ')}] do not fit input [${xShape.join(', ')}]`);
        }
        let flat = x;
        if (xShape.length !== 2) {
          flat = nextId++;
          target.push({ op: 'reshape', inputs: [x], output: flat, shape: [inSize] });
        }
        target.push({
          op: 'fullyConnected', inputs: [flat], output: out,
          weights: im.constant(op.inputs[1], `${what} weights`, { firstAxisLast: true }), inSize, outSize,
          bias: im.bias(op, outSize, what), activation: activationOf(op.options.activation, what),
        });
        im.setShape(out, [1, outSize]);
        if (!inClassifier) multiplyAdds += inSize * outSize;
        break;
      }

      case BuiltinOperator.RESHAPE:
      case BuiltinOperator.SQUEEZE: {
        const xShape = im.shapeOf(x, what);
        const shape = outTensor.shape;
        if (shape.length === 0 || (shape[0] !== 1 && shape[0] !== -1) || shape.slice(1).some((d) => d <= 0) || product(shape.slice(1)) !== product(xShape.slice(1))) {
          throw new InvalidModelError(`${what} reshapes [${xShape.join(', ')}] to [${shape.join(', ')}]; only reshapes that keep the batch dimension are supported`);
        }
        if (xShape.join() === [1, ...shape.slice(1)].join() || (inClassifier && xShape.length === 2 && shape.length === 2)) {
          im.makeAlias(out, xIndex);
          break;
        }
        target.push({ op: 'reshape', inputs: [x], output: out, shape: shape.slice(1) });
        im.setShape(out, [1, ...shape.slice(1)]);
        break;
      }

      case BuiltinOperator.SOFTMAX: {
        const xShape = im.shapeOf(x, what);
        if (xShape.length !== 2) throw new InvalidModelError(`${what} needs [batch, classes] input, got [${xShape.join(', ')}]`);
        target.push({ op: 'softmax', inputs: [x], output: out, beta: op.options?.kind === 'softmax' ? op.options.beta : 1 });
        im.setShape(out, xShape);
        break;
      }

      default:
        throw new InvalidModelError(`TFLite ${what} is not supported; supported operators: ${SUPPORTED_OPS}`);
    }
    if (i === embeddingOp) embedding = im.value(out);
  });

  const known = new Set([embedding]);
  for (const layer of classifier) {
    if (!layer.inputs.every((v) => known.has(v))) {
      throw new InvalidModelError('an operator after the global pool reads a tensor from before it; only a classifier head on the pooled embedding is supported');
    }
    known.add(layer.output);
  }

  let output: number | null = null;
  if (classifier.length > 0) {
    output = im.value(graph.outputs[0] ?? -1);
    if (!known.has(output) || output === embedding) {
      throw new InvalidModelError('the model output is not computed by the classifier after the global pool');
    }
    const last = classifier[classifier.length - 1];
    if (last.op !== 'softmax' || last.output !== output) {
      const probabilities = nextId++;
      classifier.push({ op: 'softmax', inputs: [output], output: probabilities, beta: 1 });
      output = probabilities;
    }
  }

  const embeddingShape = im.shapeOf(embedding, 'embedding');
  const spec: BackboneSpec = {
    name: options.name ?? model.metadataName ?? model.description ?? 'tflite-backbone',
    inputHeight: height,
    inputWidth: width,
    inputChannels: channels,
    ...pixelMapping(model, inputTensor),
    embeddingSize: embeddingShape[1],
    classifierClasses: output === null ? null : classifierSize(classifier),
    multiplyAdds,
  };
  return { spec, input, layers, embedding, classifier, output };
}

function classifierSize(classifier: BackboneLayer[]): number {
  for (let i = classifier.length - 1; i >= 0; i--) {
    const layer = classifier[i];
    if (layer.op === 'fullyConnected') return layer.outSize;
  }
  throw new InvalidModelError('the classifier after the global pool has no fully connected or 1x1 convolution layer');
}
