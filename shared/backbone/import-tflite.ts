/**
 * Turns a quantized (or float) TFLite image classifier into a float32 `BackboneGraph`: weights are
 * dequantized, activation quantization is ignored, fused activations and paddings are kept. The embedding
 * is the output of the last global average pool; what follows it is kept as the original classifier. Each
 * operator is imported by its entry in OP_IMPORTERS (tflite-op-importers.ts); tensor and constant handling is in
 * tflite-importer.ts.
 */
import { InvalidModelError } from '../errors.ts';
import { readTflite, type TfliteModel, type TfliteTensor } from '../tflite/read-tflite.ts';
import { BuiltinOperator } from '../tflite/schema.ts';
import type { BackboneGraph, BackboneLayer } from './backbone-graph.ts';
import type { BackboneSpec } from './backbone-spec.ts';
import { Importer } from './tflite-importer.ts';
import { isGlobalPool, OP_IMPORTERS, SUPPORTED_OPS } from './tflite-op-importers.ts';

export type { BackboneGraph, BackboneLayer } from './backbone-graph.ts';

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

/**
 * The spec of a backbone read from `model` whose image input is `input` ([1, height, width, channels]): the one
 * place both engines (float and int8) name it and map its pixels.
 */
export function backboneSpecOf(
  model: TfliteModel, input: TfliteTensor, name: string | undefined,
  sizes: { embeddingSize: number; classifierClasses: number | null; multiplyAdds: number },
): BackboneSpec {
  const [, height, width, channels] = input.shape;
  return {
    name: name ?? model.metadataName ?? model.description ?? 'tflite-backbone',
    inputHeight: height,
    inputWidth: width,
    inputChannels: channels,
    ...pixelMapping(model, input),
    ...sizes,
  };
}

/** real = (pixel - zeroPoint) * scale for pixels 0..255, from the quantization of whatever first sees them. */
export function pixelMapping(model: TfliteModel, input: TfliteTensor): { pixelScale: number; pixelZeroPoint: number } {
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

  const embeddingOp = embeddingOperator(model, im);

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
    const importOp = OP_IMPORTERS.get(op.opcode);
    if (!importOp) throw new InvalidModelError(`TFLite ${what} is not supported; supported operators: ${SUPPORTED_OPS}`);
    importOp({
      op, index: i, what, im, out, outTensor, xIndex, x, inClassifier, embeddingOp, layers, target,
      newValue: () => nextId++,
      count: (n) => {
        multiplyAdds += n;
      },
    });
    if (i === embeddingOp) embedding = im.value(out);
  });

  const output = checkClassifier(classifier, embedding, im.value(graph.outputs[0] ?? -1), () => nextId++);

  const embeddingShape = im.shapeOf(embedding, 'embedding');
  const spec = backboneSpecOf(model, inputTensor, options.name, {
    embeddingSize: embeddingShape[1],
    classifierClasses: output === null ? null : classifierSize(classifier),
    multiplyAdds,
  });
  return { spec, input, layers, embedding, classifier, output };
}

/**
 * Index of the operator whose output is the embedding: the last global average pool (AVERAGE_POOL_2D over the
 * whole map, or MEAN over height and width).
 * @throws InvalidModelError when there is none
 */
export function embeddingOperator(model: TfliteModel, im: Importer): number {
  let embeddingOp = -1;
  model.subgraphs[0].operators.forEach((op, i) => {
    if (isGlobalPool(op, im)) embeddingOp = i;
  });
  if (embeddingOp < 0) {
    throw new InvalidModelError(
      'TFLite model has no global average pool (AVERAGE_POOL_2D over the whole feature map, or MEAN over height and width), so there is no embedding to take',
    );
  }
  return embeddingOp;
}

/**
 * Checks that the layers after the global pool read only the embedding and each other, and that they compute the
 * model's output; appends a softmax when the file's classifier ends without one.
 * @returns the value holding the class probabilities, or null when there is no classifier (embedding only)
 */
function checkClassifier(classifier: BackboneLayer[], embedding: number, modelOutput: number, newValue: () => number): number | null {
  const known = new Set([embedding]);
  for (const layer of classifier) {
    if (!layer.inputs.every((v) => known.has(v))) {
      throw new InvalidModelError('an operator after the global pool reads a tensor from before it; only a classifier head on the pooled embedding is supported');
    }
    known.add(layer.output);
  }

  let output: number | null = null;
  if (classifier.length > 0) {
    output = modelOutput;
    if (!known.has(output) || output === embedding) {
      throw new InvalidModelError('the model output is not computed by the classifier after the global pool');
    }
    const last = classifier[classifier.length - 1];
    if (last.op !== 'softmax' || last.output !== output) {
      const probabilities = newValue();
      classifier.push({ op: 'softmax', inputs: [output], output: probabilities, beta: 1 });
      output = probabilities;
    }
  }

  return output;
}

function classifierSize(classifier: BackboneLayer[]): number {
  for (let i = classifier.length - 1; i >= 0; i--) {
    const layer = classifier[i];
    if (layer.op === 'fullyConnected') return layer.outSize;
  }
  throw new InvalidModelError('the classifier after the global pool has no fully connected or 1x1 convolution layer');
}
