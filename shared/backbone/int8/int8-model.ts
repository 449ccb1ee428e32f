/**
 * A quantised TFLite backbone as a `BackboneModel` run by the int8 engine: integer convolutions up to the last
 * feature map, whose global average is the embedding (dequantised, in float32, as the heads expect). The
 * original classifier, when asked for, runs in float32 on that embedding with the float importer's weights.
 */
import type { TfliteModel } from '../../tflite/read-tflite.ts';
import type { BackboneLayer } from '../backbone-graph.ts';
import type { BackboneModel } from '../backbone-spec.ts';
import { backboneSpecOf, embeddingOperator, importTflite } from '../import-tflite.ts';
import { Importer } from '../tflite-importer.ts';
import { quantisedClassifier } from './int8-classifier.ts';
import { Int8Engine } from './int8-engine.ts';
import { planInt8 } from './int8-plan.ts';

export interface Int8ModelOptions {
  name?: string;
  /** as `ImportTfliteOptions.embeddingOnly`: without it the classifier is imported (in float32) too */
  embeddingOnly?: boolean;
}

/** softmax(beta * x), in place. */
function softmax(x: Float32Array, beta: number): void {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] = Math.exp(beta * (x[i] - max));
  for (let i = 0; i < x.length; i++) x[i] /= sum;
}

/** The original classifier (fully connected layers, reshapes, a softmax) on one embedding, in float32. */
function runClassifier(layers: BackboneLayer[], embedding: Float32Array): Float32Array {
  let x = embedding;
  for (const layer of layers) {
    if (layer.op === 'fullyConnected') {
      const y = Float32Array.from(layer.bias);
      for (let i = 0; i < layer.inSize; i++) {
        const v = x[i];
        const row = i * layer.outSize;
        for (let o = 0; o < layer.outSize; o++) y[o] += v * layer.weights[row + o];
      }
      if (layer.activation !== 'linear') for (let o = 0; o < y.length; o++) y[o] = Math.min(Math.max(y[o], 0), layer.activation === 'relu6' ? 6 : Infinity);
      x = y;
    } else if (layer.op === 'softmax') {
      x = x.slice();
      softmax(x, layer.beta);
    } else if (layer.op !== 'reshape') {
      throw new Error(`the int8 engine cannot run a ${layer.op} layer in the classifier`);
    }
  }
  return x;
}

/**
 * The classifier `classify` runs: TFLite's integer one where int8-classifier.ts covers it, else the float
 * importer's on the float embedding. Null when the file ends at the embedding.
 */
function classifierOf(model: TfliteModel, embeddingOp: number, bytes: Uint8Array): { classes: number; run: (embedding: Float32Array) => Float32Array } | null {
  const quantised = quantisedClassifier(model, embeddingOp);
  if (quantised) return { classes: quantised.classes, run: quantised.run };
  const float = importTflite(bytes, { embeddingOnly: false });
  if (float.output === null) return null;
  return { classes: float.spec.classifierClasses ?? 0, run: (embedding) => runClassifier(float.classifier, embedding) };
}

/**
 * Builds the int8 model of a quantised backbone, weights packed once.
 * @returns the model, or null and the reason when the integer kernels cannot run this file (a float backbone,
 *   an operator or quantisation they do not cover); the caller then takes the float path
 * @throws InvalidModelError as `importTflite` for a malformed file; Error when the kernels are not installed
 */
export function createInt8Model(model: TfliteModel, bytes: Uint8Array, kernels: WebAssembly.Module, options: Int8ModelOptions = {}): { model: BackboneModel; reason: null } | { model: null; reason: string } {
  const graph = model.subgraphs[0];
  const im = new Importer(model, (length) => new Float32Array(length));
  const embeddingOp = embeddingOperator(model, im);
  const { plan, reason } = planInt8(model, embeddingOp);
  if (!plan) return { model: null, reason };
  const engine = new Int8Engine(plan, kernels);
  const input = graph.tensors[graph.inputs[0]];
  const [, height, width, channels] = input.shape;
  const classifier = options.embeddingOnly ? null : classifierOf(model, embeddingOp, bytes);
  const spec = backboneSpecOf(model, input, options.name, {
    embeddingSize: plan.values.get(plan.pooled)!.c,
    classifierClasses: classifier?.classes ?? null,
    multiplyAdds: plan.multiplyAdds,
  });
  const size = height * width * channels;
  const d = spec.embeddingSize;
  let disposed = false;
  const embed = (pixels: Float32Array, batch: number): Float32Array => {
    if (disposed) throw new Error(`backbone ${spec.name} has been disposed`);
    if (!Number.isInteger(batch) || batch < 1 || pixels.length !== batch * size) {
      throw new Error(`expected ${batch} x ${height} x ${width} x ${channels} = ${batch * size} pixel values, got ${pixels.length}`);
    }
    const out = new Float32Array(batch * d);
    for (let b = 0; b < batch; b++) engine.embed(pixels.subarray(b * size, (b + 1) * size), out.subarray(b * d, (b + 1) * d));
    return out;
  };
  return {
    reason: null,
    model: {
      spec,
      engine: 'int8-simd',
      embed,
      classify(pixels, batch) {
        if (!classifier) throw new Error(`backbone ${spec.name} has no classifier: its TFLite file ends at the embedding`);
        const embeddings = embed(pixels, batch);
        const out = new Float32Array(batch * classifier.classes);
        for (let b = 0; b < batch; b++) out.set(classifier.run(embeddings.subarray(b * d, (b + 1) * d)), b * classifier.classes);
        return out;
      },
      dispose() {
        disposed = true;
      },
      memoryBytes: () => engine.memoryBytes,
    },
  };
}
