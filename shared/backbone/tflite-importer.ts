/**
 * The state of one TFLite import: tensor look-ups, value aliases (QUANTIZE/DEQUANTIZE and no-op reshapes), the
 * static shape of every value, and constants dequantized to float32.
 */
import { InvalidModelError } from '../errors.ts';
import type { FusedActivation, TfliteModel, TfliteOperator, TfliteTensor } from '../tflite/read-tflite.ts';
import { TENSOR_TYPE_BYTES } from '../tflite/schema.ts';
import type { Activation } from './backbone-graph.ts';

/** Number of elements of a shape. */
export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A TFLite fused activation as a graph activation; throws InvalidModelError for any other than NONE, RELU, RELU6. */
export function activationOf(activation: FusedActivation, op: string): Activation {
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
/** One import's tensors, aliases, shapes and folded constants. */
export class Importer {
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
