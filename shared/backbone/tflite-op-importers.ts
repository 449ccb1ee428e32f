/**
 * One importer per TFLite builtin operator, in a table keyed by opcode: each checks its operator against what the
 * float network supports, appends the layer(s) it becomes and records its output's static shape. To support a new
 * operator, add a function here and an entry in OP_IMPORTERS (and its name in SUPPORTED_OPS).
 */
import { InvalidModelError } from '../errors.ts';
import type { TfliteOperator, TfliteTensor } from '../tflite/read-tflite.ts';
import { BuiltinOperator } from '../tflite/schema.ts';
import type { BackboneLayer, Padding } from './backbone-graph.ts';
import { activationOf, product, type Importer } from './tflite-importer.ts';

/** Listed in the error for an unsupported operator. */
export const SUPPORTED_OPS =
  'CONV_2D, DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN (over height and width), FULLY_CONNECTED, ' +
  'RESHAPE, SQUEEZE, SOFTMAX, QUANTIZE, DEQUANTIZE';

/** What an op importer sees of operator `index` and the graph being built. */
export interface OpContext {
  op: TfliteOperator;
  index: number;
  /** "operator 12 (CONV_2D)", for messages */
  what: string;
  im: Importer;
  out: number;
  outTensor: TfliteTensor;
  /** the first input's tensor index as in the file (-1 when absent) and the value it reads after aliasing */
  xIndex: number;
  x: number;
  /** true after the global pool the embedding is taken from */
  inClassifier: boolean;
  embeddingOp: number;
  /** the backbone's layers, and the list this operator belongs to (the layers, or the classifier after the pool) */
  layers: BackboneLayer[];
  target: BackboneLayer[];
  /** a fresh value id for an intermediate the file does not name */
  newValue(): number;
  /** adds to the backbone's multiply-add count */
  count(multiplyAdds: number): void;
}

type OpImporter = (c: OpContext) => void;

/** True for an AVERAGE_POOL_2D over the whole feature map or a MEAN over height and width (constant axes). */
export function isGlobalPool(op: TfliteOperator, im: Importer): boolean {
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
/** The float network ignores activation quantization: (de)quantizing a value is the identity. */
function importQuantize({ op, im, out, xIndex }: OpContext): void {
  if (im.isConstant(xIndex)) im.foldDequantize(op);
  else im.makeAlias(out, xIndex);
}

function importConv2d({ op, what, im, out, outTensor, x, inClassifier, layers, target, count }: OpContext): void {
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
    return;
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
  count(oh * ow * outChannels * kh * kw * inChannels);
}

function importDepthwiseConv2d({ op, what, im, out, outTensor, x, inClassifier, layers, count }: OpContext): void {
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
  count(oh * ow * outChannels * kh * kw);
}

function importAdd({ op, what, im, out, x, target }: OpContext): void {
  if (op.options?.kind !== 'add') throw new InvalidModelError(`${what} has no AddOptions`);
  if (im.isConstant(op.inputs[0]) || im.isConstant(op.inputs[1])) throw new InvalidModelError(`${what} adds a constant; only the sum of two activations is supported`);
  const y = im.value(op.inputs[1]);
  const xShape = im.shapeOf(x, what);
  const yShape = im.shapeOf(y, what);
  if (xShape.join() !== yShape.join()) throw new InvalidModelError(`${what} broadcasts [${xShape.join(', ')}] with [${yShape.join(', ')}]; only equal shapes are supported`);
  target.push({ op: 'add', inputs: [x, y], output: out, activation: activationOf(op.options.activation, what) });
  im.setShape(out, xShape);
}

function importPool2d({ op, index, what, im, out, outTensor, x, inClassifier, embeddingOp, layers }: OpContext): void {
  if (op.options?.kind !== 'pool2d') throw new InvalidModelError(`${what} has no Pool2DOptions`);
  const xShape = im.shapeOf(x, what);
  if (xShape.length !== 4) throw new InvalidModelError(`${what} needs a 4-D input, got [${xShape.join(', ')}]`);
  const activation = activationOf(op.options.activation, what);
  if (op.opcode === BuiltinOperator.AVERAGE_POOL_2D && isGlobalPool(op, im)) {
    const keepDims = index !== embeddingOp;
    layers.push({ op: 'mean', inputs: [x], output: out, keepDims });
    im.setShape(out, keepDims ? [1, 1, 1, xShape[3]] : [1, xShape[3]]);
    return;
  }
  if (inClassifier) throw new InvalidModelError(`${what} follows the global pool; only a fully connected classifier may`);
  const [oh, ow] = checkWindow(what, xShape, outTensor.shape, [op.options.filterHeight, op.options.filterWidth], op.options);
  layers.push({
    op: op.opcode === BuiltinOperator.MAX_POOL_2D ? 'maxPool' : 'avgPool', inputs: [x], output: out,
    filterSize: [op.options.filterHeight, op.options.filterWidth], strides: [op.options.strideH, op.options.strideW],
    padding: op.options.padding, activation,
  });
  im.setShape(out, [1, oh, ow, xShape[3]]);
}

function importMean({ op, index, what, im, out, x, inClassifier, embeddingOp, layers }: OpContext): void {
  if (inClassifier || !isGlobalPool(op, im)) throw new InvalidModelError(`${what} is supported only as a mean over height and width of a 4-D feature map`);
  const xShape = im.shapeOf(x, what);
  const keepDims = index !== embeddingOp && op.options?.kind === 'reducer' && op.options.keepDims;
  layers.push({ op: 'mean', inputs: [x], output: out, keepDims });
  im.setShape(out, keepDims ? [1, 1, 1, xShape[3]] : [1, xShape[3]]);
}

function importFullyConnected({ op, what, im, out, x, inClassifier, target, newValue, count }: OpContext): void {
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
    flat = newValue();
    target.push({ op: 'reshape', inputs: [x], output: flat, shape: [inSize] });
  }
  target.push({
    op: 'fullyConnected', inputs: [flat], output: out,
    weights: im.constant(op.inputs[1], `${what} weights`, { firstAxisLast: true }), inSize, outSize,
    bias: im.bias(op, outSize, what), activation: activationOf(op.options.activation, what),
  });
  im.setShape(out, [1, outSize]);
  if (!inClassifier) count(inSize * outSize);
}

function importReshape({ what, im, out, outTensor, xIndex, x, inClassifier, target }: OpContext): void {
  const xShape = im.shapeOf(x, what);
  const shape = outTensor.shape;
  if (shape.length === 0 || (shape[0] !== 1 && shape[0] !== -1) || shape.slice(1).some((d) => d <= 0) || product(shape.slice(1)) !== product(xShape.slice(1))) {
    throw new InvalidModelError(`${what} reshapes [${xShape.join(', ')}] to [${shape.join(', ')}]; only reshapes that keep the batch dimension are supported`);
  }
  if (xShape.join() === [1, ...shape.slice(1)].join() || (inClassifier && xShape.length === 2 && shape.length === 2)) {
    im.makeAlias(out, xIndex);
    return;
  }
  target.push({ op: 'reshape', inputs: [x], output: out, shape: shape.slice(1) });
  im.setShape(out, [1, ...shape.slice(1)]);
}

function importSoftmax({ op, what, im, out, x, target }: OpContext): void {
  const xShape = im.shapeOf(x, what);
  if (xShape.length !== 2) throw new InvalidModelError(`${what} needs [batch, classes] input, got [${xShape.join(', ')}]`);
  target.push({ op: 'softmax', inputs: [x], output: out, beta: op.options?.kind === 'softmax' ? op.options.beta : 1 });
  im.setShape(out, xShape);
}

/** The supported builtin operators, by opcode. */
export const OP_IMPORTERS: ReadonlyMap<number, OpImporter> = new Map<number, OpImporter>([
  [BuiltinOperator.QUANTIZE, importQuantize],
  [BuiltinOperator.DEQUANTIZE, importQuantize],
  [BuiltinOperator.CONV_2D, importConv2d],
  [BuiltinOperator.DEPTHWISE_CONV_2D, importDepthwiseConv2d],
  [BuiltinOperator.ADD, importAdd],
  [BuiltinOperator.AVERAGE_POOL_2D, importPool2d],
  [BuiltinOperator.MAX_POOL_2D, importPool2d],
  [BuiltinOperator.MEAN, importMean],
  [BuiltinOperator.FULLY_CONNECTED, importFullyConnected],
  [BuiltinOperator.RESHAPE, importReshape],
  [BuiltinOperator.SQUEEZE, importReshape],
  [BuiltinOperator.SOFTMAX, importSoftmax],
]);
