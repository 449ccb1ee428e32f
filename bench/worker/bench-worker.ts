/**
 * A worker that only the benchmark runs (`bench/wrangler.bench.toml`, under `wrangler dev` on 127.0.0.1).
 * Each route runs one piece of work `n` times inside workerd and answers when done; the Node driver times
 * the requests from outside, because workerd's clock does not advance during CPU work. The backend is chosen
 * per process by the `BENCH_BACKEND` var: `wasm-simd` (what the service ships), `wasm` (no SIMD) or `cpu`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import plainWasmModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm';
import simdWasmModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm';
import imageKernelsModule from '../../shared/image/kernels/image-kernels.wasm';
import int8KernelsModule from '../../shared/backbone/int8/int8-kernels.wasm';
import { createImageKernels } from '../../shared/image/image-kernels.ts';
import { createImageRuntime, type ImageRuntime } from '../../shared/image/image-runtime.ts';
import { createBackboneModel, importBackboneModel, type BackboneModel } from '../../shared/backbone/backbone-model.ts';
import { importTflite } from '../../shared/backbone/import-tflite.ts';
import { embedImage } from '../../shared/embed-image.ts';
import { predictHead, rankPredictions } from '../../shared/head/predict-head.ts';
import type { Head } from '../../shared/head/head-types.ts';
import { makeSyntheticSet } from '../../shared/head/synthetic-set.ts';
import { trainHead, type QuantisedTrainingSet, type TrainingSet } from '../../shared/head/train-head.ts';
import { allocateQuantisedRows, quantiseEmbeddingInto } from '../../shared/examples/embedding-codec.ts';
import { WARM_START_TOLERANCE } from '../../shared/training/train-steps.ts';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import { modelInputFrom, type ModelImage } from '../../shared/image/preprocess.ts';
import { sha256Hex } from '../../shared/hash.ts';
import { createWasmBackendStarter } from '../../shared/tf/wasm-backend.ts';
import { createLayersBaseline, type LayersBaseline } from '../layers-baseline.ts';

interface BenchEnv {
  BENCH_BACKEND: string;
}

interface State {
  backend: string;
  fused: BackboneModel;
  /** the int8 engine on the same file, beside the float paths (`/setup` with the LayersModel, wasm SIMD only) */
  int8?: BackboneModel;
  /** absent with `/setup?layers=0`, so memory figures show the serving path alone */
  layers?: LayersBaseline;
  input: Float32Array;
  head: Head;
}

const MAX_PIXELS = 50_000_000;
let state: State | undefined;
const images = new Map<string, { bytes: Uint8Array; decoded?: ModelImage; input?: Float32Array; embedding?: Float32Array }>();
const cold: { decoded?: ModelImage; bytes?: Uint8Array; graph?: ReturnType<typeof importTflite>; model?: BackboneModel } = {};
const training = new Map<number, { set: QuantisedTrainingSet; initial: Head }>();

/** The image runtime, with the kernels as the service has them; `resize-js` stages leave them out. */
let imageRuntime: ImageRuntime | undefined;
/** This isolate's wasm backend starter. */
const wasmBackend = createWasmBackendStarter();

async function startBackend(name: string): Promise<void> {
  imageRuntime ??= createImageRuntime({ kernels: createImageKernels(imageKernelsModule) });
  if (name === 'cpu') {
    await tf.setBackend('cpu');
    await tf.ready();
    return;
  }
  if (name !== 'wasm-simd' && name !== 'wasm') throw new Error(`BENCH_BACKEND must be wasm-simd, wasm or cpu, got ${name}`);
  const simd = name === 'wasm-simd';
  await wasmBackend.start(() => (simd ? simdWasmModule : plainWasmModule), { simd });
}

/** Bytes of the wasm backend's linear memory (it only grows), or 0 on the cpu backend. */
function wasmHeapBytes(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return backend.wasm?.HEAPU8.buffer.byteLength ?? 0;
}

function checksum(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not set up yet`);
  return value;
}

/** As embedImage does, the planes of the timed decodes and the model input are reused from request to request. */
const planeScratch: Uint8ClampedArray[] = [];
let inputScratch = new Float32Array(0);

function modelInput(decoded: ModelImage, model: BackboneModel, js = false): Float32Array {
  const image: ModelImage = js && decoded.kind === 'planar' ? { kind: 'planar', source: { ...decoded.source, kernels: null } } : decoded;
  const { spec } = model;
  const length = spec.inputHeight * spec.inputWidth * spec.inputChannels;
  if (inputScratch.length !== length) inputScratch = new Float32Array(length);
  return modelInputFrom(image, { height: spec.inputHeight, width: spec.inputWidth, pixelScale: spec.pixelScale, pixelZeroPoint: spec.pixelZeroPoint }, { out: inputScratch });
}

/** Pixel size the decoder produced (a JPEG's planes are at the stored orientation). */
function decodedSize(image: ModelImage): { width: number; height: number } {
  const { width, height } = image.kind === 'planar' ? image.source.jpeg : image.image;
  return { width, height };
}

async function route(request: Request, env: BenchEnv): Promise<unknown> {
  const url = new URL(request.url);
  const n = Number(url.searchParams.get('n') ?? '1');
  switch (url.pathname) {
    case '/noop':
      return { ok: true };
    case '/setup': {
      await startBackend(env.BENCH_BACKEND);
      const bytes = new Uint8Array(await request.arrayBuffer());
      const name = url.searchParams.get('name') ?? 'backbone';
      state?.fused.dispose();
      state?.int8?.dispose();
      state?.layers?.dispose();
      // Without the LayersModel baseline, build the model as the service does (embedding only, packed up front),
      // so the classify bench's heap and memory figures are the serving path's.
      // `engine` picks the serving model's engine (auto: int8 for a quantised file, as the service does).
      const servingOnly = url.searchParams.get('layers') === '0';
      const engine = (url.searchParams.get('engine') ?? 'auto') as 'auto' | 'int8-simd' | 'float32-tfjs';
      const graph = servingOnly ? null : importTflite(bytes, { name });
      const fused = graph ? createBackboneModel(graph) : importBackboneModel(bytes, { name, embeddingOnly: true, engine, int8Kernels: int8KernelsModule });
      const layers = graph ? createLayersBaseline(graph) : undefined;
      const int8 = graph && env.BENCH_BACKEND === 'wasm-simd' ? importBackboneModel(bytes, { name, embeddingOnly: true, engine: 'int8-simd', int8Kernels: int8KernelsModule }) : undefined;
      const { spec } = fused;
      const input = new Float32Array(spec.inputHeight * spec.inputWidth * spec.inputChannels);
      for (let i = 0; i < input.length; i++) input[i] = ((i * 7919) % 255) / 127.5 - 1;
      const labels = ['ants', 'bees'];
      const headSet = makeSyntheticSet({ counts: [60, 60], embeddingSize: spec.embeddingSize, seed: 5, labels });
      const head = trainHead(headSet, { seed: 1, maxIterations: 30 }).head;
      state = { backend: tf.getBackend(), fused, int8, layers, input, head };
      return { backend: state.backend, spec, engine: fused.engine, wasmHeapBytes: wasmHeapBytes() };
    }
    case '/forward': {
      const s = need(state, 'the model');
      const variant = url.searchParams.get('variant');
      const run = variant === 'layers' ? need(s.layers, 'the LayersModel').embed : variant === 'fused' ? s.fused.embed : variant === 'int8' ? need(s.int8, 'the int8 model').embed : null;
      if (!run) throw new Error('variant must be fused, layers or int8');
      let sum = 0;
      for (let i = 0; i < n; i++) sum += checksum(run(s.input, 1));
      return { sum, wasmHeapBytes: wasmHeapBytes(), tensors: tf.memory().numTensors };
    }
    case '/embedding': {
      const s = need(state, 'the model');
      return {
        fused: Array.from(s.fused.embed(s.input, 1)),
        layers: Array.from(need(s.layers, 'the LayersModel').embed(s.input, 1)),
        int8: s.int8 ? Array.from(s.int8.embed(s.input, 1)) : null,
      };
    }
    case '/image': {
      images.set(need(url.searchParams.get('name') ?? undefined, 'name'), { bytes: new Uint8Array(await request.arrayBuffer()) });
      return { ok: true };
    }
    case '/stage': {
      // One stage of the classify path on a stored image; the inputs of each stage are prepared once,
      // outside the timed repetitions, by running the stages before it.
      const s = need(state, 'the model');
      const image = need(images.get(url.searchParams.get('image') ?? ''), 'that image');
      const stage = url.searchParams.get('stage');
      const size = { maxPixels: MAX_PIXELS, height: s.fused.spec.inputHeight, width: s.fused.spec.inputWidth, runtime: imageRuntime };
      // As embedImage does: a JPEG is decoded to planes, and "resize" includes the colour conversion.
      image.decoded ??= decodeForModel(image.bytes, size);
      image.input ??= modelInput(image.decoded, s.fused).slice();
      image.embedding ??= s.fused.embed(image.input, 1);
      let sink = 0;
      for (let i = 0; i < n; i++) {
        if (stage === 'decode') sink += decodedSize(decodeForModel(image.bytes, { ...size, reuse: planeScratch })).width;
        else if (stage === 'resize') sink += modelInput(image.decoded, s.fused)[0];
        else if (stage === 'resize-js') {
          // The same resize on the JavaScript path, for the side-by-side figure.
          sink += modelInput(image.decoded, s.fused, true)[0];
        }
        else if (stage === 'forward') sink += s.fused.embed(image.input, 1)[0];
        else if (stage === 'head') sink += JSON.stringify(rankPredictions(s.head, predictHead(s.head, image.embedding, 1), 5)).length;
        else if (stage === 'embed') sink += embedImage(image.bytes, s.fused, { maxImagePixels: MAX_PIXELS, runtime: need(imageRuntime, 'the image runtime') }).embedding[0];
        else throw new Error('stage must be decode, resize, resize-js, forward, head or embed');
      }
      return { sink, decoded: decodedSize(image.decoded), wasmHeapBytes: wasmHeapBytes() };
    }
    case '/upload': {
      // Receiving an upload, the two ways a worker can read a body.
      if (url.searchParams.get('mode') === 'buffer') return { bytes: (await request.arrayBuffer()).byteLength };
      const reader = request.body!.getReader();
      let bytes = 0;
      let chunks = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        chunks++;
      }
      return { bytes, chunks };
    }
    case '/cold-step': {
      // One step of a cold start at a time, in a fresh isolate, so the driver can split workerd's CPU by step.
      const step = url.searchParams.get('step');
      if (step === 'backend') await startBackend(env.BENCH_BACKEND);
      else if (step === 'bytes') cold.bytes = new Uint8Array(await request.arrayBuffer());
      else if (step === 'sha256') await sha256Hex(need(cold.bytes, 'the bytes'));
      else if (step === 'import') cold.graph = importTflite(need(cold.bytes, 'the bytes'), { name: 'backbone', embeddingOnly: true });
      else if (step === 'upload') cold.model = createBackboneModel(need(cold.graph, 'the graph'));
      else if (step === 'model') {
        cold.model = importBackboneModel(need(cold.bytes, 'the bytes'), { name: 'backbone', embeddingOnly: true, int8Kernels: int8KernelsModule });
        return { engine: cold.model.engine };
      }
      else if (step === 'decode') cold.decoded = decodeForModel(new Uint8Array(await request.arrayBuffer()), { maxPixels: MAX_PIXELS, height: 224, width: 224, runtime: imageRuntime });
      else if (step === 'resize') {
        const input = modelInputFrom(need(cold.decoded, 'the decoded photo'), { height: 224, width: 224, pixelScale: 1 / 128, pixelZeroPoint: 128 });
        return { first: input[0] };
      }
      else if (step === 'forward') {
        const { spec } = need(cold.model, 'the model');
        const input = new Float32Array(spec.inputHeight * spec.inputWidth * spec.inputChannels).fill(0.1);
        return { sum: checksum(cold.model!.embed(input, 1)) };
      } else throw new Error('step must be backend, bytes, sha256, import, upload, model, forward, decode or resize');
      return { ok: true };
    }
    case '/memory':
      return { wasmHeapBytes: wasmHeapBytes(), imageKernelBytes: imageRuntime?.kernels?.memoryBytes ?? 0, int8Bytes: state?.fused.memoryBytes?.() ?? 0, engine: state?.fused.engine, tf: tf.memory() };
    case '/train-setup': {
      // Stand-in for the cron job: `size` stored embeddings in 10 classes, kept 8-bit as the job keeps them, and
      // a head trained earlier on a tenth as many from the same distribution to warm-start from.
      const size = Number(url.searchParams.get('size'));
      const d = Number(url.searchParams.get('d') ?? '1280');
      const counts = (total: number) => Array.from({ length: 10 }, () => total / 10);
      const set = makeSyntheticSet({ counts: counts(size), embeddingSize: d, seed: 11, structureSeed: 3 });
      const earlier = makeSyntheticSet({ counts: counts(size / 10), embeddingSize: d, seed: 12, structureSeed: 3 });
      // Both 8-bit, so the fit's kernels see only codes, as in the job (float rows too would make them polymorphic).
      const quantised = (from: TrainingSet): QuantisedTrainingSet => {
        const rows = allocateQuantisedRows(from.labelIndex.length, d);
        for (let r = 0; r < from.labelIndex.length; r++) quantiseEmbeddingInto(from.embeddings.subarray(r * d, (r + 1) * d), rows, r);
        return { ...from, embeddings: rows };
      };
      training.set(size, { set: quantised(set), initial: trainHead(quantised(earlier), { seed: 1 }).head });
      return { ok: true };
    }
    case '/train': {
      const { set, initial } = need(training.get(Number(url.searchParams.get('size'))), 'that training set');
      const maxEvaluations = Number(url.searchParams.get('maxEvaluations') ?? '100');
      const result = trainHead(set, { seed: 1, initial, maxEvaluations, tolerance: WARM_START_TOLERANCE });
      const { head, ...rest } = result as unknown as Record<string, unknown>;
      void head;
      return rest;
    }
    default:
      return null;
  }
}

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    try {
      const body = await route(request, env);
      if (body === null) return new Response('not found', { status: 404 });
      return Response.json(body);
    } catch (error) {
      return Response.json({ error: String((error as Error).stack ?? error) }, { status: 500 });
    }
  },
};
