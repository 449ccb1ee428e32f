/**
 * Run as its own process: `node --import tsx bench/lib/int8-reference.ts [--photos N]`. The int8 engine against
 * TensorFlow Lite's own interpreter (tflite-reference.ts) and our float32 path, in Node on one thread, on the
 * same model input:
 * - forward CPU time of the three, interleaved call by call (medians), for the bench's side-by-side ratios;
 * - top-1 agreement with TFLite's classifier output over every photo of ../shared/datasets and ../shared/images
 *   (each decoded and resized as the service does; TFLite gets the same pixels, quantised as its input says).
 * Prints JSON.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importBackboneModel } from '../../shared/backbone/backbone-model.ts';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import { modelInputFrom } from '../../shared/image/preprocess.ts';
import { loadRuntime } from '../../trainer/runtime.ts';
import { summarize } from './stats.ts';
import { BACKBONE_PATH, SHARED_DIR } from './fixtures.ts';
import { loadTfliteReference } from './tflite-reference.ts';

const FORWARD_SAMPLES = 40;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function photos(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (/\.jpe?g$/i.test(entry.name)) found.push(join(dir, entry.name));
    }
  };
  walk(join(SHARED_DIR, 'datasets'));
  walk(join(SHARED_DIR, 'images'));
  return found.sort();
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

const runtime = await loadRuntime();
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const backbone = arg('--backbone');
const bytes = new Uint8Array(readFileSync(backbone ? join(SHARED_DIR, 'backbones', `${backbone}.tflite`) : BACKBONE_PATH));
const int8 = importBackboneModel(bytes, { engine: 'int8-simd', int8Kernels: runtime.int8Kernels });
const float = importBackboneModel(bytes, { engine: 'float32-tfjs' });
const { spec } = int8;
const reference = await loadTfliteReference(bytes, [spec.inputHeight, spec.inputWidth, spec.inputChannels]);
const target = { height: spec.inputHeight, width: spec.inputWidth, pixelScale: spec.pixelScale, pixelZeroPoint: spec.pixelZeroPoint };
// TFLite gets uint8 pixels; they are rounded as the int8 engine rounds its input (TFLite's QUANTIZE rule: real / scale
// rounded half away from zero, in float32, then the zero point added), so both see the very same pixels.
const inverse = Math.fround(1 / spec.pixelScale);
const quantised = (x: Float32Array) =>
  Uint8Array.from(x, (v) => {
    const t = Math.fround(v * inverse);
    const r = Math.sign(t) * Math.floor(Math.abs(t) + 0.5);
    return Math.min(255, Math.max(0, r + spec.pixelZeroPoint));
  });

// 1. Forward times on one photo, interleaved.
const all = photos();
const x = modelInputFrom(decodeForModel(readFileSync(all.find((p) => p.endsWith('cat_720p.jpg'))!), { maxPixels: 50e6, height: target.height, width: target.width }), target);
const q = quantised(x);
const runs = { int8: () => int8.embed(x, 1), float: () => float.embed(x, 1), tflite: () => reference.classify(q) };
const times: Record<string, number[]> = { int8: [], float: [], tflite: [] };
for (let i = 0; i < 10; i++) for (const run of Object.values(runs)) run();
for (let i = 0; i < FORWARD_SAMPLES; i++) {
  for (const [name, run] of Object.entries(runs)) {
    const t = cpu();
    run();
    times[name].push(cpu() - t);
  }
}

// 2. Top-1 agreement over the photos.
const limit = Number(arg('--photos')) || all.length;
let int8Agrees = 0;
let int8AgreesTied = 0;
let tiedPhotos = 0;
let floatAgrees = 0;
let int8AgreesFloat = 0;
const disagreements: { photo: string; tflite: number; int8: number; float: number; tied: number; scores: number[] }[] = [];
for (const photo of all.slice(0, limit)) {
  const input = modelInputFrom(decodeForModel(readFileSync(photo), { maxPixels: 50e6, height: target.height, width: target.width }), target);
  const scores = reference.classify(quantised(input));
  const ref = argmax(scores);
  const a = argmax(int8.classify(input, 1));
  // TFLite's output is 8-bit: classes tied at its top are ones it cannot tell apart.
  const tied = scores.reduce((n, v) => n + (v === scores[ref] ? 1 : 0), 0);
  if (tied > 1) tiedPhotos++;
  if (scores[a] === scores[ref]) int8AgreesTied++;
  const b = argmax(float.classify(input, 1));
  if (a === ref) int8Agrees++;
  if (b === ref) floatAgrees++;
  if (a === b) int8AgreesFloat++;
  if (a !== ref) disagreements.push({ photo: photo.slice(SHARED_DIR.length + 1), tflite: ref, int8: a, float: b, tied, scores: [scores[ref], scores[a]] });
}
const photosCompared = Math.min(limit, all.length);
console.log(
  JSON.stringify({
    forward: Object.fromEntries(Object.entries(times).map(([name, t]) => [name, summarize(t)])),
    photos: photosCompared,
    int8Agreement: int8Agrees / photosCompared,
    int8AgreementWithTies: int8AgreesTied / photosCompared,
    tiedPhotos,
    floatAgreement: floatAgrees / photosCompared,
    int8FloatAgreement: int8AgreesFloat / photosCompared,
    disagreements: disagreements.slice(0, 20),
  }),
);
