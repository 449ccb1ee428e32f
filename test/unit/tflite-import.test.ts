import { readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackboneModel, importBackboneModel } from '../../shared/backbone/backbone-model.ts';
import { importTflite, type BackboneGraph } from '../../shared/backbone/import-tflite.ts';
import { InvalidModelError } from '../../shared/errors.ts';
import { toModelInput } from '../../shared/image/preprocess.ts';
import { FlatBuffer } from '../../shared/tflite/flatbuffer.ts';
import { readTflite } from '../../shared/tflite/read-tflite.ts';
import { loadRuntime } from '../../trainer/runtime.ts';

const backbones = new URL('../../../shared/backbones/', import.meta.url);
const images = new URL('../../../shared/images/', import.meta.url);

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, backbones)));
}

const labels = readFileSync(new URL('imagenet_labels.txt', backbones), 'utf8').split('\n');

function modelInput(image: string, graph: BackboneGraph): Float32Array {
  const decoded = jpeg.decode(readFileSync(new URL(image, images)), { useTArray: true, formatAsRGBA: true });
  const rgb = new Uint8Array(decoded.width * decoded.height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = decoded.data[j];
    rgb[i + 1] = decoded.data[j + 1];
    rgb[i + 2] = decoded.data[j + 2];
  }
  const { inputHeight: height, inputWidth: width, pixelScale, pixelZeroPoint } = graph.spec;
  return toModelInput({ data: rgb, width: decoded.width, height: decoded.height, channels: 3 }, { height, width, pixelScale, pixelZeroPoint });
}

function top1(probabilities: Float32Array): { index: number; score: number } {
  let index = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[index]) index = i;
  return { index, score: probabilities[index] };
}

/** Overwrites both opcode fields of operator code `k` in a copy of a model. */
function withOpcode(bytes: Uint8Array, k: number, code: number): Uint8Array {
  const copy = bytes.slice();
  const fb = new FlatBuffer(copy);
  const entry = fb.root('TFL3').tables(1)[k];
  const view = new DataView(copy.buffer);
  const vtable = entry.position - view.getInt32(entry.position, true);
  const slot = (i: number) => (4 + 2 * i < view.getUint16(vtable, true) ? view.getUint16(vtable + 4 + 2 * i, true) : 0);
  if (slot(0)) view.setInt8(entry.position + slot(0), code);
  if (slot(3)) view.setInt32(entry.position + slot(3), code, true);
  return copy;
}

describe('readTflite', () => {
  it('reads tensors, quantization and operator options of mobilenet_v2_1.0_224_quant', () => {
    const model = readTflite(fixture('mobilenet_v2_1.0_224_quant.tflite'));
    const graph = model.subgraphs[0];
    const input = graph.tensors[graph.inputs[0]];
    expect(input).toMatchObject({ shape: [1, 224, 224, 3], type: 'uint8', quantization: { scale: [0.0078125], zeroPoint: [128] } });
    const ops = graph.operators.map((op) => op.opName);
    expect(ops.filter((op) => op === 'ADD')).toHaveLength(10);
    expect(ops.slice(-4)).toEqual(['AVERAGE_POOL_2D', 'CONV_2D', 'RESHAPE', 'SOFTMAX']);
    expect(graph.operators[0].options).toEqual({
      kind: 'conv2d', padding: 'same', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'relu6',
    });
    expect(graph.operators[1].options).toMatchObject({ kind: 'depthwiseConv2d', depthMultiplier: 1, activation: 'relu6' });
    expect(model.metadata.min_runtime_version).toBeDefined();
  });

  it('reads per-channel int8 quantization of the TF2 post-training model', () => {
    const graph = readTflite(fixture('tf2_mobilenet_v2_1.0_224_ptq.tflite')).subgraphs[0];
    const conv = graph.operators.find((op) => op.opName === 'CONV_2D')!;
    const filter = graph.tensors[conv.inputs[1]];
    expect(filter.type).toBe('int8');
    expect(filter.quantization!.scale).toHaveLength(filter.shape[0]);
    expect(filter.quantization!.quantizedDimension).toBe(0);
    expect(graph.operators.map((op) => op.opName)).toContain('QUANTIZE');
  });

  it('throws InvalidModelError for garbage, a wrong identifier and truncated files', () => {
    const bytes = fixture('mobilenet_v1_0.25_128_quant.tflite');
    expect(() => readTflite(new Uint8Array(0))).toThrow(InvalidModelError);
    expect(() => readTflite(new TextEncoder().encode('this is not a model, just some text'))).toThrow(/identifier/);
    const garbage = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
    garbage.set([0x54, 0x46, 0x4c, 0x33], 4);
    expect(() => readTflite(garbage)).toThrow(InvalidModelError);
    // The tail of these files is an appended zip of label files, which the flatbuffer does not reference.
    for (const length of [8, 100, 1000, bytes.length >> 1, Math.floor(bytes.length * 0.9)]) {
      expect(() => importTflite(bytes.subarray(0, length)), `truncated to ${length} bytes`).toThrow(InvalidModelError);
    }
  });

  it('never fails with anything but InvalidModelError on corrupted structure', () => {
    const bytes = fixture('mobilenet_v1_0.25_128_quant.tflite');
    // Corrupt the flatbuffer's tables, vtables and offsets: every byte outside the large weight buffers.
    const weights = readTflite(bytes).buffers.filter((b) => b.length > 64).map((b) => [b.byteOffset, b.byteOffset + b.length]);
    const structure = Array.from(bytes.keys()).filter((i) => !weights.some(([start, end]) => i >= start && i < end));
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let rejected = 0;
    for (let trial = 0; trial < 300; trial++) {
      const copy = bytes.slice();
      for (let k = 0; k < 3; k++) copy[structure[Math.floor(random() * structure.length)]] = Math.floor(random() * 256);
      try {
        importTflite(copy);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidModelError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(10);
  });
});

describe('importTflite', () => {
  const expected: Record<string, { size: number; embedding: number; classes: number; scale: number; zeroPoint: number }> = {
    'mobilenet_v2_1.0_224_quant.tflite': { size: 224, embedding: 1280, classes: 1001, scale: 1 / 128, zeroPoint: 128 },
    'tf2_mobilenet_v2_1.0_224_ptq.tflite': { size: 224, embedding: 1280, classes: 1001, scale: 1 / 127.5, zeroPoint: 127 },
    'mobilenet_v1_0.5_160_quant.tflite': { size: 160, embedding: 512, classes: 1001, scale: 1 / 128, zeroPoint: 128 },
    'mobilenet_v1_0.25_128_quant.tflite': { size: 128, embedding: 256, classes: 1001, scale: 1 / 128, zeroPoint: 128 },
    'mobilenet_v2_1.0_224_inat_insect_quant.tflite': { size: 224, embedding: 1280, classes: 1022, scale: 1 / 128, zeroPoint: 128 },
    'mobilenet_v2_1.0_224_inat_bird_quant.tflite': { size: 224, embedding: 1280, classes: 965, scale: 1 / 128, zeroPoint: 128 },
  };

  it('knows every fixture in the backbones folder', () => {
    const files = readdirSync(backbones).filter((f) => f.endsWith('.tflite'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`imports ${file} with the spec read from the file`, () => {
      const graph = importTflite(fixture(file), { name: file });
      expect(graph.spec).toMatchObject({
        name: file,
        inputHeight: want.size,
        inputWidth: want.size,
        inputChannels: 3,
        embeddingSize: want.embedding,
        classifierClasses: want.classes,
        pixelZeroPoint: want.zeroPoint,
      });
      expect(graph.spec.pixelScale).toBeCloseTo(want.scale, 6);
      expect(graph.layers.at(-1)).toMatchObject({ op: 'mean', keepDims: false, output: graph.embedding });
      expect(graph.classifier.map((l) => l.op)).toEqual(['fullyConnected', 'softmax']);
    });
  }

  it('counts the published multiply-adds of MobileNetV2 1.0 224 (300 M) and V1 0.25 128 (14 M)', () => {
    const v2 = importTflite(fixture('mobilenet_v2_1.0_224_quant.tflite')).spec.multiplyAdds;
    const v1 = importTflite(fixture('mobilenet_v1_0.25_128_quant.tflite')).spec.multiplyAdds;
    // The published figures include the classifier (1280 x 1001 and 256 x 1001 MACs), the spec does not.
    expect(v2 + 1280 * 1001).toBeGreaterThan(295e6);
    expect(v2 + 1280 * 1001).toBeLessThan(305e6);
    expect(v1 + 256 * 1001).toBeGreaterThan(13e6);
    expect(v1 + 256 * 1001).toBeLessThan(15e6);
  });

  it('dequantizes uint8 filters per tensor and moves them to [h, w, in, out]', () => {
    const bytes = fixture('mobilenet_v1_0.25_128_quant.tflite');
    const raw = readTflite(bytes);
    const g = raw.subgraphs[0];
    const filterTensor = g.tensors[g.operators[0].inputs[1]];
    const data = raw.buffers[filterTensor.buffer];
    const [out, h, w, inChannels] = filterTensor.shape;
    const { scale: [scale], zeroPoint: [zeroPoint] } = filterTensor.quantization!;
    const layer = importTflite(bytes).layers[0];
    if (layer.op !== 'conv2d') throw new Error(`first layer is ${layer.op}`);
    expect(layer.filterShape).toEqual([h, w, inChannels, out]);
    for (const [o, y, x, i] of [[0, 0, 0, 0], [7, 2, 1, 2], [3, 1, 2, 0]]) {
      const q = data[((o * h + y) * w + x) * inChannels + i];
      expect(layer.filter[((y * w + x) * inChannels + i) * out + o]).toBeCloseTo((q - zeroPoint) * scale, 6);
    }
  });

  it('dequantizes int8 filters with one scale per output channel', () => {
    const bytes = fixture('tf2_mobilenet_v2_1.0_224_ptq.tflite');
    const raw = readTflite(bytes);
    const g = raw.subgraphs[0];
    const conv = g.operators.find((op) => op.opName === 'CONV_2D')!;
    const filterTensor = g.tensors[conv.inputs[1]];
    const q = new Int8Array(raw.buffers[filterTensor.buffer].slice().buffer);
    const [out, h, w, inChannels] = filterTensor.shape;
    const layer = importTflite(bytes).layers[0];
    if (layer.op !== 'conv2d') throw new Error(`first layer is ${layer.op}`);
    for (const o of [0, 5, out - 1]) {
      const scale = filterTensor.quantization!.scale[o];
      expect(layer.filter[((1 * w + 2) * inChannels + 1) * out + o]).toBeCloseTo(q[((o * h + 1) * w + 2) * inChannels + 1] * scale, 7);
    }
  });

  it('rejects an unsupported operator and names the supported ones', () => {
    const bytes = fixture('mobilenet_v1_0.25_128_quant.tflite');
    expect(readTflite(bytes).subgraphs[0].operators[1].opName).toBe('DEPTHWISE_CONV_2D');
    const codes = new FlatBuffer(bytes).root('TFL3').tables(1).length;
    const mul = Array.from({ length: codes }, (_, k) => withOpcode(bytes, k, 18)).find(
      (patched) => readTflite(patched).subgraphs[0].operators[1].opName === 'MUL',
    );
    expect(mul).toBeDefined();
    expect(() => importTflite(mul!)).toThrow(InvalidModelError);
    expect(() => importTflite(mul!)).toThrow(/operator 1 \(MUL\) is not supported; supported operators: CONV_2D, DEPTHWISE_CONV_2D, ADD/);
  });
});

describe('createBackboneModel', () => {
  beforeAll(async () => {
    await loadRuntime();
  });

  it('reproduces the original classifier of mobilenet_v2_1.0_224_quant (Egyptian cat, hotdog)', () => {
    const graph = importTflite(fixture('mobilenet_v2_1.0_224_quant.tflite'));
    const model = createBackboneModel(graph);
    try {
      const cat = top1(model.classify(modelInput('cat_720p.jpg', graph), 1));
      const hotdog = top1(model.classify(modelInput('hot_dog.jpg', graph), 1));
      console.log(`cat_720p: ${cat.index} ${labels[cat.index]} ${cat.score.toFixed(4)}; hot_dog: ${hotdog.index} ${labels[hotdog.index]} ${hotdog.score.toFixed(4)}`);
      expect(cat.index).toBe(286);
      expect(labels[cat.index]).toBe('Egyptian cat');
      expect(cat.score).toBeGreaterThan(0.88);
      expect(cat.score).toBeLessThan(0.96);
      expect(hotdog.index).toBe(935);
      expect(hotdog.score).toBeGreaterThan(0.94);
    } finally {
      model.dispose();
    }
  });

  it('runs the int8 per-channel TF2 model to the same answer', () => {
    const graph = importTflite(fixture('tf2_mobilenet_v2_1.0_224_ptq.tflite'));
    const model = createBackboneModel(graph);
    try {
      const cat = top1(model.classify(modelInput('cat_1080p.jpg', graph), 1));
      expect([285, 286]).toContain(cat.index);
      expect(top1(model.classify(modelInput('hot_dog.jpg', graph), 1)).index).toBe(935);
    } finally {
      model.dispose();
    }
  });

  describe('with the tiny mobilenet_v1_0.25_128_quant', () => {
    const graph = importTflite(fixture('mobilenet_v1_0.25_128_quant.tflite'));
    const single = (image: string) => modelInput(image, graph);

    it('embeds to [n, 256] with batch 2 equal to two singles, deterministically and without leaking tensors', () => {
      const before = tf.memory().numTensors;
      const model = createBackboneModel(graph);
      const weights = tf.memory().numTensors;
      const a = single('cat_720p.jpg');
      const b = single('kite_and_cold.jpg');
      const ea = model.embed(a, 1);
      const eb = model.embed(b, 1);
      const batch = new Float32Array(a.length * 2);
      batch.set(a);
      batch.set(b, a.length);
      const both = model.embed(batch, 2);
      expect(ea).toHaveLength(256);
      expect(both).toHaveLength(512);
      for (let i = 0; i < 256; i++) {
        expect(both[i]).toBeCloseTo(ea[i], 4);
        expect(both[256 + i]).toBeCloseTo(eb[i], 4);
      }
      expect(model.embed(a, 1)).toEqual(ea);
      // Pooled ReLU6 features: all in [0, 6], and not all zero.
      expect(Math.min(...ea)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...ea)).toBeLessThanOrEqual(6);
      expect(Math.max(...ea)).toBeGreaterThan(0.5);
      expect(Array.from(ea).some((v, i) => Math.abs(v - eb[i]) > 0.1)).toBe(true);
      model.classify(batch, 2);
      expect(tf.memory().numTensors).toBe(weights);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(() => model.embed(a, 1)).toThrow(/disposed/);
    });

    it('imports only up to the embedding with embeddingOnly, embedding exactly as the full import does', () => {
      const bytes = fixture('mobilenet_v1_0.25_128_quant.tflite');
      const partial = importTflite(bytes, { embeddingOnly: true });
      expect(partial.classifier).toEqual([]);
      expect(partial.output).toBeNull();
      expect(partial.spec).toEqual({ ...graph.spec, classifierClasses: null });
      expect(partial.layers).toHaveLength(graph.layers.length);
      expect(graph.classifier.length).toBeGreaterThan(0);
      const full = createBackboneModel(graph);
      const served = createBackboneModel(partial);
      try {
        const pixels = single('cat_720p.jpg');
        expect(served.embed(pixels, 1)).toEqual(full.embed(pixels, 1));
        expect(() => served.classify(pixels, 1)).toThrow(/no classifier/);
      } finally {
        full.dispose();
        served.dispose();
      }
    });

    it('gives class probabilities that sum to 1 and rejects a wrongly sized input', () => {
      const model = createBackboneModel(graph);
      try {
        const p = model.classify(single('hot_dog.jpg'), 1);
        expect(p).toHaveLength(1001);
        expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
        expect(() => model.embed(new Float32Array(10), 1)).toThrow(/pixel values/);
      } finally {
        model.dispose();
      }
    });
  });
});

describe('importBackboneModel on the float path (weights written into the wasm heap, packed up front)', () => {
  beforeAll(async () => {
    await loadRuntime();
  });

  for (const file of ['mobilenet_v1_0.25_128_quant.tflite', 'mobilenet_v2_1.0_224_quant.tflite', 'tf2_mobilenet_v2_1.0_224_ptq.tflite']) {
    it(`embeds ${file} exactly as createBackboneModel(importTflite(...)) does, also after its freed filter memory is overwritten`, () => {
      const bytes = fixture(file);
      const before = tf.memory().numTensors;
      const plain = createBackboneModel(importTflite(bytes, { embeddingOnly: true }));
      const served = importBackboneModel(bytes, { name: file, embeddingOnly: true, engine: 'float32-tfjs' });
      try {
        expect(served.spec).toEqual({ ...plain.spec, name: file });
        const graph = { spec: plain.spec } as BackboneGraph;
        const a = modelInput('cat_720p.jpg', graph);
        const b = modelInput('hot_dog.jpg', graph);
        const both = new Float32Array(a.length * 2);
        both.set(a);
        both.set(b, a.length);
        const expected = plain.embed(a, 1);
        const expectedBoth = plain.embed(both, 2);
        expect(served.embed(a, 1)).toEqual(expected);
        expect(served.embed(both, 2)).toEqual(expectedBoth);
        // The filters' own memory was freed once packed: fill whatever reuses it with NaN. A convolution that
        // read its filter again (re-packed) would now give NaN.
        const scribble = tf.fill([4_000_000], NaN);
        try {
          expect(served.embed(a, 1)).toEqual(expected);
          expect(served.embed(both, 2)).toEqual(expectedBoth);
        } finally {
          scribble.dispose();
        }
      } finally {
        plain.dispose();
        served.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('keeps the original classifier when asked for the whole file', () => {
    const bytes = fixture('mobilenet_v1_0.25_128_quant.tflite');
    const graph = importTflite(bytes);
    const plain = createBackboneModel(graph);
    const served = importBackboneModel(bytes, { engine: 'float32-tfjs' });
    try {
      const pixels = modelInput('hot_dog.jpg', graph);
      expect(served.classify(pixels, 1)).toEqual(plain.classify(pixels, 1));
    } finally {
      plain.dispose();
      served.dispose();
    }
  });

  it('rejects a malformed file with InvalidModelError and leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    const bytes = fixture('mobilenet_v1_0.25_128_quant.tflite');
    // Operator 1 becomes a MUL: operator 0's weights are already in the heap when the import fails.
    const codes = new FlatBuffer(bytes).root('TFL3').tables(1).length;
    const mul = Array.from({ length: codes }, (_, k) => withOpcode(bytes, k, 18)).find(
      (patched) => readTflite(patched).subgraphs[0].operators[1].opName === 'MUL',
    );
    expect(() => importBackboneModel(mul!)).toThrow(InvalidModelError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('createBackboneModel on a hand-built graph', () => {
  beforeAll(async () => {
    await loadRuntime();
  });

  // Layer kinds the MobileNet fixtures do not use: max and same-padded average pools, reshape, a hidden
  // fully connected layer, fused ReLU, softmax with beta.
  const spec = {
    name: 'tiny', inputHeight: 4, inputWidth: 4, inputChannels: 1, pixelScale: 1, pixelZeroPoint: 0,
    embeddingSize: 2, classifierClasses: 3, multiplyAdds: 8,
  };
  const graph: BackboneGraph = {
    spec,
    input: 0,
    layers: [
      { op: 'maxPool', inputs: [0], output: 1, filterSize: [2, 2], strides: [2, 2], padding: 'valid', activation: 'linear' },
      { op: 'avgPool', inputs: [1], output: 2, filterSize: [2, 2], strides: [1, 1], padding: 'same', activation: 'relu' },
      { op: 'add', inputs: [1, 2], output: 3, activation: 'relu6' },
      { op: 'reshape', inputs: [3], output: 4, shape: [4] },
      { op: 'fullyConnected', inputs: [4], output: 5, weights: new Float32Array([1, 0, 0, 1, 1, 0, 0, -1]), inSize: 4, outSize: 2, bias: new Float32Array([0.5, 0]), activation: 'relu' },
    ],
    embedding: 5,
    classifier: [
      { op: 'fullyConnected', inputs: [5], output: 6, weights: new Float32Array([1, 0, -1, 0, 1, 2]), inSize: 2, outSize: 3, bias: new Float32Array([0, 1, 0]), activation: 'linear' },
      { op: 'softmax', inputs: [6], output: 7, beta: 0.5 },
    ],
    output: 7,
  };

  function reference(pixels: number[]): { embedding: number[]; probabilities: number[] } {
    const at = (y: number, x: number) => pixels[y * 4 + x];
    const max = [0, 1].flatMap((y) => [0, 1].map((x) => Math.max(at(2 * y, 2 * x), at(2 * y, 2 * x + 1), at(2 * y + 1, 2 * x), at(2 * y + 1, 2 * x + 1))));
    // SAME padding adds a row and a column at the end; padded cells do not count in the average.
    const avg = [(max[0] + max[1] + max[2] + max[3]) / 4, (max[1] + max[3]) / 2, (max[2] + max[3]) / 2, max[3]].map((v) => Math.max(0, v));
    const sum = max.map((v, i) => Math.min(6, Math.max(0, v + avg[i])));
    const embedding = [Math.max(0, sum[0] + sum[2] + 0.5), Math.max(0, sum[1] - sum[3])];
    const logits = [embedding[0], embedding[1] + 1, -embedding[0] + 2 * embedding[1]];
    const e = logits.map((v) => Math.exp(0.5 * v));
    const total = e.reduce((a, b) => a + b, 0);
    return { embedding, probabilities: e.map((v) => v / total) };
  }

  it('computes pools, residual add, reshape, dense layers and softmax like a direct computation', () => {
    const model = createBackboneModel(graph);
    try {
      const a = Array.from({ length: 16 }, (_, i) => (i % 5) - 2 + i / 8);
      const b = Array.from({ length: 16 }, (_, i) => 3 - ((i * 7) % 6));
      const pixels = new Float32Array([...a, ...b]);
      const embeddings = model.embed(pixels, 2);
      const probabilities = model.classify(pixels, 2);
      const want = [reference(a), reference(b)];
      want.forEach((w, n) => {
        w.embedding.forEach((v, i) => expect(embeddings[n * 2 + i]).toBeCloseTo(v, 5));
        w.probabilities.forEach((v, i) => expect(probabilities[n * 3 + i]).toBeCloseTo(v, 5));
      });
      expect(want[0].embedding).not.toEqual(want[1].embedding);
    } finally {
      model.dispose();
    }
  });
});
