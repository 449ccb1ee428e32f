import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBackboneModel, type BackboneModel } from '../../shared/backbone/backbone-model.ts';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import { modelInputFrom } from '../../shared/image/preprocess.ts';
import { PROJECT_ROOT } from '../../trainer/model-store.ts';
import { INT8_KERNELS_WASM, loadRuntime } from '../../trainer/runtime.ts';
import { sharedFixture } from '../helpers/image-fixtures.ts';

/**
 * Tolerance of the int8 embedding against the float32 path's (the same file's weights dequantised, activations
 * kept in float): TFLite's quantised network rounds every activation to 8 bits, so the two differ by design.
 * Measured on the sanity photos: cosine 0.996-0.999, relative L2 distance 0.03-0.09.
 */
const MIN_COSINE = 0.99;
const MAX_RELATIVE_L2 = 0.15;

function input(model: BackboneModel, image: string): Float32Array {
  const { spec } = model;
  const target = { height: spec.inputHeight, width: spec.inputWidth, pixelScale: spec.pixelScale, pixelZeroPoint: spec.pixelZeroPoint };
  return modelInputFrom(decodeForModel(sharedFixture(`images/${image}`), { maxPixels: 50e6, height: target.height, width: target.width }), target);
}

function top1(probabilities: Float32Array): number {
  let best = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[best]) best = i;
  return best;
}

function compare(a: Float32Array, b: Float32Array): { cosine: number; relativeL2: number } {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return { cosine: dot / Math.sqrt(aa * bb), relativeL2: Math.sqrt(Math.max(0, aa + bb - 2 * dot) / bb) };
}

describe('the int8 engine of quantised backbones', () => {
  let int8Kernels: WebAssembly.Module | null = null;
  beforeAll(async () => {
    ({ int8Kernels } = await loadRuntime());
  });

  // uint8 per-tensor (quantisation-aware training) and int8 per-channel (post-training, QUANTIZE at the input).
  for (const file of ['mobilenet_v2_1.0_224_quant.tflite', 'tf2_mobilenet_v2_1.0_224_ptq.tflite']) {
    it(`runs ${file}: the sanity photos' top-1 classes, and embeddings within tolerance of the float path`, () => {
      const bytes = sharedFixture(`backbones/${file}`);
      const int8 = importBackboneModel(bytes, { int8Kernels });
      const float = importBackboneModel(bytes, { engine: 'float32-tfjs' });
      try {
        expect(int8.engine).toBe('int8-simd');
        expect(float.engine).toBe('float32-tfjs');
        expect(int8.spec).toEqual(float.spec);
        const cat = input(int8, 'cat_720p.jpg');
        const hotDog = input(int8, 'hot_dog.jpg');
        expect(top1(int8.classify(cat, 1))).toBe(286);
        expect(top1(int8.classify(hotDog, 1))).toBe(935);
        for (const x of [cat, hotDog]) {
          const { cosine, relativeL2 } = compare(int8.embed(x, 1), float.embed(x, 1));
          expect(cosine).toBeGreaterThan(MIN_COSINE);
          expect(relativeL2).toBeLessThan(MAX_RELATIVE_L2);
          expect(relativeL2).toBeGreaterThan(0);
        }
        // A batch is its images one by one.
        const both = new Float32Array(cat.length * 2);
        both.set(cat);
        both.set(hotDog, cat.length);
        const d = int8.spec.embeddingSize;
        const batch = int8.embed(both, 2);
        expect(batch.subarray(0, d)).toEqual(int8.embed(cat, 1));
        expect(batch.subarray(d)).toEqual(int8.embed(hotDog, 1));
      } finally {
        int8.dispose();
        float.dispose();
      }
    });
  }

  it('serves the embedding part only, and refuses what it cannot run', () => {
    const bytes = sharedFixture('backbones/mobilenet_v1_0.25_128_quant.tflite');
    const served = importBackboneModel(bytes, { embeddingOnly: true, int8Kernels });
    expect(served.engine).toBe('int8-simd');
    expect(served.spec.classifierClasses).toBeNull();
    expect(() => served.classify(input(served, 'cat_720p.jpg'), 1)).toThrow(/no classifier/);
    expect(() => served.embed(new Float32Array(10), 1)).toThrow(/pixel values/);
    served.dispose();
    expect(() => served.embed(input(served, 'cat_720p.jpg'), 1)).toThrow(/disposed/);
    // Without the runtime's kernels every backbone takes the float path, and int8 cannot be forced.
    expect(importBackboneModel(bytes, { embeddingOnly: true }).engine).toBe('float32-tfjs');
    expect(() => importBackboneModel(bytes, { engine: 'int8-simd' })).toThrow(/no int8 kernels/);
  });

  it('is int8-kernels.as.ts built by `npm run build:int8-kernels` (the committed binary is up to date)', () => {
    const script = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts['build:int8-kernels'] as string;
    const dir = mkdtempSync(join(tmpdir(), 'edgehead-int8-'));
    try {
      const out = join(dir, 'int8-kernels.wasm');
      const args = script.replace(/^asc /, '').replace('shared/backbone/int8/int8-kernels.wasm', out).split(' ');
      execFileSync(join(PROJECT_ROOT, 'node_modules/.bin/asc'), args, { cwd: PROJECT_ROOT, stdio: 'pipe' });
      expect(Buffer.compare(readFileSync(out), readFileSync(INT8_KERNELS_WASM))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
