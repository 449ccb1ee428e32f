/**
 * Parses a TensorFlow Lite flatbuffer into plain data: tensors, operators with their builtin options,
 * constant buffers. It interprets nothing; `shared/backbone/import-tflite.ts` turns this into a network.
 */
import { InvalidModelError } from '../errors.ts';
import { FlatBuffer, Table } from './flatbuffer.ts';
import {
  ACTIVATIONS,
  BuiltinOperator,
  BuiltinOptionsType,
  builtinOperatorName,
  PLACEHOLDER_FOR_GREATER_OP_CODES,
  Slot,
  TENSOR_TYPES,
  type FusedActivation,
  type TensorTypeName,
} from './schema.ts';

export type { FusedActivation, TensorTypeName } from './schema.ts';

export interface TfliteQuantization {
  /** real = scale * (q - zeroPoint); one entry per tensor, or one per slice along `quantizedDimension` */
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: TensorTypeName;
  /** index into `TfliteModel.buffers`; 0 is the empty sentinel, so activations have 0 or an empty buffer */
  buffer: number;
  quantization: TfliteQuantization | null;
}

export type TflitePadding = 'same' | 'valid';

export interface ConvOptions {
  kind: 'conv2d';
  padding: TflitePadding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: FusedActivation;
}

export interface DepthwiseConvOptions extends Omit<ConvOptions, 'kind'> {
  kind: 'depthwiseConv2d';
  depthMultiplier: number;
}

export interface Pool2DOptions {
  kind: 'pool2d';
  padding: TflitePadding;
  strideH: number;
  strideW: number;
  filterHeight: number;
  filterWidth: number;
  activation: FusedActivation;
}

export interface FullyConnectedOptions {
  kind: 'fullyConnected';
  activation: FusedActivation;
  /** 0 = DEFAULT; anything else is a shuffled layout we do not read */
  weightsFormat: number;
  keepNumDims: boolean;
}

export interface AddOptions {
  kind: 'add';
  activation: FusedActivation;
}

export interface ReshapeOptions {
  kind: 'reshape';
  newShape: number[] | null;
}

export interface SoftmaxOptions {
  kind: 'softmax';
  beta: number;
}

export interface ReducerOptions {
  kind: 'reducer';
  keepDims: boolean;
}

export interface SqueezeOptions {
  kind: 'squeeze';
  squeezeDims: number[];
}

export type TfliteOptions =
  | ConvOptions
  | DepthwiseConvOptions
  | Pool2DOptions
  | FullyConnectedOptions
  | AddOptions
  | ReshapeOptions
  | SoftmaxOptions
  | ReducerOptions
  | SqueezeOptions;

export interface TfliteOperator {
  /** resolved `BuiltinOperator` code (see `BuiltinOperator` in schema.ts) */
  opcode: number;
  /** e.g. 'CONV_2D'; for custom ops the custom code */
  opName: string;
  /** tensor indices; -1 marks an omitted optional input */
  inputs: number[];
  outputs: number[];
  /** parsed builtin options for the ops we understand, null otherwise */
  options: TfliteOptions | null;
}

export interface TfliteSubgraph {
  name: string | null;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

export interface TfliteModel {
  version: number;
  description: string | null;
  subgraphs: TfliteSubgraph[];
  /** raw constant data, views into the input bytes (not copies); empty for activations */
  buffers: Uint8Array[];
  /** name -> bytes of each `metadata` entry (e.g. "min_runtime_version", "TFLITE_METADATA") */
  metadata: Record<string, Uint8Array>;
  /** `name` of the TFLite Support model metadata ("TFLITE_METADATA", identifier "M001"), when present and readable */
  metadataName: string | null;
}

function activationOf(code: number): FusedActivation {
  const name = ACTIVATIONS[code];
  if (!name) throw new InvalidModelError(`TFLite file uses fused activation code ${code}; known codes are 0-${ACTIVATIONS.length - 1}`);
  return name;
}

function paddingOf(code: number): TflitePadding {
  if (code === 0) return 'same';
  if (code === 1) return 'valid';
  throw new InvalidModelError(`TFLite file uses padding code ${code}; only SAME (0) and VALID (1) exist`);
}

function conv2dOptions(o: Table | null): TfliteOptions {
  const s = Slot.Conv2DOptions;
  return {
    kind: 'conv2d',
    padding: paddingOf(o?.i8(s.padding) ?? 0),
    strideW: o?.i32(s.strideW) ?? 0,
    strideH: o?.i32(s.strideH) ?? 0,
    activation: activationOf(o?.i8(s.activation) ?? 0),
    dilationW: o?.i32(s.dilationW, 1) ?? 1,
    dilationH: o?.i32(s.dilationH, 1) ?? 1,
  };
}

function depthwiseConv2dOptions(o: Table | null): TfliteOptions {
  const s = Slot.DepthwiseConv2DOptions;
  return {
    kind: 'depthwiseConv2d',
    padding: paddingOf(o?.i8(s.padding) ?? 0),
    strideW: o?.i32(s.strideW) ?? 0,
    strideH: o?.i32(s.strideH) ?? 0,
    depthMultiplier: o?.i32(s.depthMultiplier) ?? 0,
    activation: activationOf(o?.i8(s.activation) ?? 0),
    dilationW: o?.i32(s.dilationW, 1) ?? 1,
    dilationH: o?.i32(s.dilationH, 1) ?? 1,
  };
}

function pool2dOptions(o: Table | null): TfliteOptions {
  const s = Slot.Pool2DOptions;
  return {
    kind: 'pool2d',
    padding: paddingOf(o?.i8(s.padding) ?? 0),
    strideW: o?.i32(s.strideW) ?? 0,
    strideH: o?.i32(s.strideH) ?? 0,
    filterWidth: o?.i32(s.filterWidth) ?? 0,
    filterHeight: o?.i32(s.filterHeight) ?? 0,
    activation: activationOf(o?.i8(s.activation) ?? 0),
  };
}

function readOptions(opcode: number, op: Table): TfliteOptions | null {
  const type = op.u8(Slot.Operator.builtinOptionsType);
  const t = op.table(Slot.Operator.builtinOptions);
  const expect = (wanted: number): Table | null => {
    if (t && type !== wanted) {
      throw new InvalidModelError(`TFLite ${builtinOperatorName(opcode)} operator carries options of union type ${type}, expected ${wanted}`);
    }
    return t;
  };
  switch (opcode) {
    case BuiltinOperator.CONV_2D:
      return conv2dOptions(expect(BuiltinOptionsType.Conv2DOptions));
    case BuiltinOperator.DEPTHWISE_CONV_2D:
      return depthwiseConv2dOptions(expect(BuiltinOptionsType.DepthwiseConv2DOptions));
    case BuiltinOperator.AVERAGE_POOL_2D:
    case BuiltinOperator.MAX_POOL_2D:
      return pool2dOptions(expect(BuiltinOptionsType.Pool2DOptions));
    case BuiltinOperator.FULLY_CONNECTED: {
      const o = expect(BuiltinOptionsType.FullyConnectedOptions);
      const s = Slot.FullyConnectedOptions;
      return {
        kind: 'fullyConnected',
        activation: activationOf(o?.i8(s.activation) ?? 0),
        weightsFormat: o?.i8(s.weightsFormat) ?? 0,
        keepNumDims: (o?.u8(s.keepNumDims) ?? 0) !== 0,
      };
    }
    case BuiltinOperator.ADD: {
      const o = expect(BuiltinOptionsType.AddOptions);
      return { kind: 'add', activation: activationOf(o?.i8(Slot.AddOptions.activation) ?? 0) };
    }
    case BuiltinOperator.RESHAPE: {
      const o = expect(BuiltinOptionsType.ReshapeOptions);
      return { kind: 'reshape', newShape: o?.i32Vector(Slot.ReshapeOptions.newShape) ?? null };
    }
    case BuiltinOperator.SOFTMAX: {
      const o = expect(BuiltinOptionsType.SoftmaxOptions);
      return { kind: 'softmax', beta: o?.f32(Slot.SoftmaxOptions.beta) ?? 1 };
    }
    case BuiltinOperator.MEAN: {
      const o = expect(BuiltinOptionsType.ReducerOptions);
      return { kind: 'reducer', keepDims: (o?.u8(Slot.ReducerOptions.keepDims) ?? 0) !== 0 };
    }
    case BuiltinOperator.SQUEEZE: {
      const o = expect(BuiltinOptionsType.SqueezeOptions);
      return { kind: 'squeeze', squeezeDims: o?.i32Vector(Slot.SqueezeOptions.squeezeDims) ?? [] };
    }
    default:
      return null;
  }
}

function readQuantization(t: Table | null): TfliteQuantization | null {
  if (!t) return null;
  const s = Slot.QuantizationParameters;
  if (t.u8(s.detailsType) !== 0) {
    throw new InvalidModelError('TFLite file uses custom quantization details; only affine scale/zero-point quantization is supported');
  }
  const scale = t.f32Vector(s.scale) ?? [];
  if (scale.length === 0) return null;
  const zeroPoint = t.i64Vector(s.zeroPoint) ?? [];
  return {
    scale,
    zeroPoint: zeroPoint.length === 0 ? scale.map(() => 0) : zeroPoint,
    quantizedDimension: t.i32(s.quantizedDimension),
  };
}

function readTensor(t: Table, index: number): TfliteTensor {
  const s = Slot.Tensor;
  const typeCode = t.i8(s.type);
  const type = TENSOR_TYPES[typeCode];
  if (!type) throw new InvalidModelError(`TFLite tensor ${index} has unknown type code ${typeCode}`);
  const shape = t.i32Vector(s.shape) ?? [];
  if (shape.some((d) => d < 0 && d !== -1)) throw new InvalidModelError(`TFLite tensor ${index} has invalid shape [${shape.join(', ')}]`);
  return {
    index,
    name: t.string(s.name) ?? `tensor_${index}`,
    shape,
    type,
    buffer: t.u32(s.buffer),
    quantization: readQuantization(t.table(s.quantization)),
  };
}

function readIndices(list: number[] | null, count: number, what: string): number[] {
  const indices = list ?? [];
  for (const i of indices) {
    if (i < -1 || i >= count) throw new InvalidModelError(`TFLite ${what} refers to tensor ${i}, but the subgraph has ${count} tensors`);
  }
  return indices;
}

/**
 * Parses a `.tflite` file (TFLite flatbuffer schema v3, identifier "TFL3").
 * @param bytes the whole file; buffers in the result are views into it, so keep it alive and unmodified
 * @throws InvalidModelError when the identifier is wrong, an offset leaves the file, a field holds an
 *   impossible value, or a tensor refers to a missing buffer
 */
export function readTflite(bytes: Uint8Array): TfliteModel {
  try {
    return parse(bytes);
  } catch (error) {
    if (error instanceof InvalidModelError) throw error;
    // DataView and TextDecoder guard themselves; anything they throw still means a corrupt file.
    throw new InvalidModelError(`TFLite file is corrupt: ${(error as Error).message}`);
  }
}

function parse(bytes: Uint8Array): TfliteModel {
  const fb = new FlatBuffer(bytes);
  const model = fb.root('TFL3');
  const M = Slot.Model;

  const buffers = model.tables(M.buffers).map((b, i) => {
    const data = b.bytes(Slot.Buffer.data);
    if (data && data.length > 0) return data;
    // Models over 2 GB keep buffer data after the flatbuffer, addressed by absolute offset and size.
    const offset = b.u64(Slot.Buffer.offset);
    const size = b.u64(Slot.Buffer.size);
    if (offset > 1) {
      fb.check(offset, size, `buffer ${i}`);
      return bytes.subarray(offset, offset + size);
    }
    return new Uint8Array(0);
  });

  const opcodes = model.tables(M.operatorCodes).map((c) => {
    const s = Slot.OperatorCode;
    const deprecated = c.i8(s.deprecatedBuiltinCode);
    const extended = c.i32(s.builtinCode);
    // Older files only have the byte field; newer ones fill both, with a placeholder in the byte when > 126.
    const code = Math.max(deprecated, extended);
    const custom = c.string(s.customCode);
    return { code, name: code === BuiltinOperator.CUSTOM && custom ? custom : builtinOperatorName(code) };
  });

  const subgraphs = model.tables(M.subgraphs).map((g, gi): TfliteSubgraph => {
    const S = Slot.SubGraph;
    const tensors = g.tables(S.tensors).map(readTensor);
    for (const t of tensors) {
      if (t.buffer >= buffers.length && !(t.buffer === 0 && buffers.length === 0)) {
        throw new InvalidModelError(`TFLite tensor ${t.index} (${t.name}) refers to buffer ${t.buffer}, but the file has ${buffers.length}`);
      }
    }
    const operators = g.tables(S.operators).map((op, oi): TfliteOperator => {
      const O = Slot.Operator;
      const index = op.u32(O.opcodeIndex);
      const opcode = opcodes[index];
      if (!opcode) throw new InvalidModelError(`TFLite operator ${oi} uses opcode index ${index}, but the file defines ${opcodes.length}`);
      if (opcode.code === PLACEHOLDER_FOR_GREATER_OP_CODES) {
        throw new InvalidModelError(`TFLite operator ${oi} has only the placeholder opcode ${PLACEHOLDER_FOR_GREATER_OP_CODES}`);
      }
      return {
        opcode: opcode.code,
        opName: opcode.name,
        inputs: readIndices(op.i32Vector(O.inputs), tensors.length, `operator ${oi} input`),
        outputs: readIndices(op.i32Vector(O.outputs), tensors.length, `operator ${oi} output`),
        options: readOptions(opcode.code, op),
      };
    });
    return {
      name: g.string(S.name),
      tensors,
      inputs: readIndices(g.i32Vector(S.inputs), tensors.length, `subgraph ${gi} input`),
      outputs: readIndices(g.i32Vector(S.outputs), tensors.length, `subgraph ${gi} output`),
      operators,
    };
  });
  if (subgraphs.length === 0) throw new InvalidModelError('TFLite file has no subgraph');

  const metadata: Record<string, Uint8Array> = {};
  for (const m of model.tables(M.metadata)) {
    const name = m.string(Slot.Metadata.name);
    const buffer = m.u32(Slot.Metadata.buffer);
    if (name !== null && buffer < buffers.length) metadata[name] = buffers[buffer];
  }

  return {
    version: model.u32(M.version),
    description: model.string(M.description),
    subgraphs,
    buffers,
    metadata,
    metadataName: readMetadataName(metadata.TFLITE_METADATA),
  };
}

/** The optional support metadata is informative only, so a malformed one is ignored rather than fatal. */
function readMetadataName(bytes: Uint8Array | undefined): string | null {
  if (!bytes) return null;
  try {
    return new FlatBuffer(bytes).root('M001').string(0);
  } catch {
    return null;
  }
}
