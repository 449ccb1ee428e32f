/**
 * Backbone forward inside workerd: the fused path vs the plain LayersModel of the same weights, on wasm SIMD
 * (what ships), wasm without SIMD and the tfjs CPU backend. One `wrangler dev` per backend; fused and baseline
 * requests alternate so both see the same machine load.
 */
import { execFileSync } from 'node:child_process';
import { PROJECT_ROOT } from '../trainer/model-store.ts';
import { backboneBytes, BACKBONE_NAME } from './lib/fixtures.ts';
import { table, writeSection } from './lib/section.ts';
import { fmt, summarize, type Summary } from './lib/stats.ts';
import { call, noopCpu, startWranglerDev, timeRoute } from './lib/wrangler-dev.ts';

const BACKENDS = [
  { backend: 'wasm-simd', label: 'wasm SIMD (shipped)', samples: 40 },
  { backend: 'wasm', label: 'wasm, no SIMD', samples: 12 },
  { backend: 'cpu', label: 'tfjs CPU (plain JS)', samples: 4 },
];

interface Row {
  backend: string;
  fused: Summary;
  layers: Summary;
  maxAbsDiff: number;
  wasmHeapBytes: number;
}

/** The int8 engine on the same file, timed in the wasm SIMD process alongside the fused and LayersModel paths. */
let int8: { times: Summary; cosine: number; relativeL2: number } | undefined;

function distance(a: number[], b: number[]): { cosine: number; relativeL2: number } {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((v, i) => {
    dot += v * b[i];
    aa += v * v;
    bb += b[i] * b[i];
  });
  return { cosine: dot / Math.sqrt(aa * bb), relativeL2: Math.sqrt(Math.max(0, aa + bb - 2 * dot) / bb) };
}

const rows: Row[] = [];
let multiplyAdds = 0;
for (const { backend, samples, label } of BACKENDS) {
  const server = await startWranglerDev(['-c', 'bench/wrangler.bench.toml', '--var', `BENCH_BACKEND:${backend}`], '/noop');
  try {
    const setup = (await call(`${server.url}/setup?name=${BACKBONE_NAME}`, { method: 'POST', body: backboneBytes() })) as { spec: { multiplyAdds: number } };
    multiplyAdds = setup.spec.multiplyAdds;
    const { fused: a, layers: b, int8: q } = (await call(`${server.url}/embedding`)) as { fused: number[]; layers: number[]; int8: number[] | null };
    const maxAbsDiff = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    const noop = await noopCpu(server);
    const fused: number[] = [];
    const layers: number[] = [];
    await timeRoute(server, '/forward?variant=fused', { samples: 1, noopCpu: noop, warmup: 2 });
    await timeRoute(server, '/forward?variant=layers', { samples: 1, noopCpu: noop, warmup: 2 });
    // The int8 engine's wasm is optimised by V8 in the background over its first calls: warm it as workerd would.
    const int8Times: number[] = [];
    if (q) await timeRoute(server, '/forward?variant=int8', { samples: 1, noopCpu: noop, warmup: 12 });
    for (let i = 0; i < samples; i++) {
      fused.push(...(await timeRoute(server, '/forward?variant=fused', { samples: 1, noopCpu: noop, warmup: 0 })));
      layers.push(...(await timeRoute(server, '/forward?variant=layers', { samples: 1, noopCpu: noop, warmup: 0 })));
      if (q) int8Times.push(...(await timeRoute(server, '/forward?variant=int8', { samples: 1, noopCpu: noop, warmup: 0 })));
    }
    const memory = (await call(`${server.url}/memory`)) as { wasmHeapBytes: number };
    if (q) {
      int8 = { times: summarize(int8Times), ...distance(q, a) };
      console.error(`${label}: int8 ${fmt(int8.times)} ms, cosine to the fused float embedding ${int8.cosine.toFixed(4)}`);
    }
    rows.push({ backend: label, fused: summarize(fused), layers: summarize(layers), maxAbsDiff, wasmHeapBytes: memory.wasmHeapBytes });
    console.error(`${label}: fused ${fmt(summarize(fused))} ms, layers ${fmt(summarize(layers))} ms, max |diff| ${maxAbsDiff}`);
  } finally {
    await server.stop();
  }
}

// The int8 engine against TensorFlow Lite's own interpreter (tfjs-tflite, which cannot run in workerd), in Node.
interface NodeReference {
  forward: Record<'int8' | 'float' | 'tflite', Summary>;
  photos: number;
  int8Agreement: number;
  int8AgreementWithTies: number;
  tiedPhotos: number;
  floatAgreement: number;
  int8FloatAgreement: number;
}
const reference = JSON.parse(
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/lib/int8-reference.ts'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 })
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .pop()!,
) as NodeReference;
console.error(`Node: int8 ${fmt(reference.forward.int8)}, float ${fmt(reference.forward.float)}, TFLite ${fmt(reference.forward.tflite)} ms; top-1 agreement ${reference.int8Agreement}`);

const gflops = (ms: number) => ((2 * multiplyAdds) / (ms / 1000) / 1e9).toFixed(2);
const simd = rows[0];
const speedup = simd.layers.median / simd.fused.median;
const markdown = `## Backbone forward (\`${BACKBONE_NAME}\`, 224x224, batch 1, inside workerd)

${table(
  ['backend', 'fused path ms', 'LayersModel predict ms', 'speed-up', 'fused GFLOP/s', 'max abs embedding diff'],
  rows.map((r) => [r.backend, fmt(r.fused), fmt(r.layers), `${(r.layers.median / r.fused.median).toFixed(2)}x`, gflops(r.fused.median), r.maxAbsDiff.toExponential(1)]),
)}

Ratios against the shipped path (wasm SIMD, fused, ${simd.fused.median.toFixed(1)} ms): ${rows
  .flatMap((r) => [`${r.backend} fused ${(r.fused.median / simd.fused.median).toFixed(2)}x`, `${r.backend} LayersModel ${(r.layers.median / simd.fused.median).toFixed(2)}x`])
  .join(', ')} the time.

- **Target: fused >= 2x faster than the LayersModel on the same backend: ${speedup >= 2 ? 'met' : 'MISSED'}** (${speedup.toFixed(2)}x on wasm SIMD).
  Same embeddings: max abs difference above, and \`test/unit/layers-baseline.test.ts\` asserts it on real photos.
- GFLOP/s counts 2 x ${(multiplyAdds / 1e6).toFixed(0)} M multiply-adds (\`spec.multiplyAdds\`) per forward.
- wasm heap after these runs (SIMD process, both models resident): ${(simd.wasmHeapBytes / 2 ** 20).toFixed(1)} MiB.
- \`@tensorflow/tfjs-tflite\` (TFLite's own int8 kernels, XNNPACK) cannot run inside workerd: its runtime is a separate
  emscripten build that loads its .wasm by URL and compiles it at run time, which workerd forbids. It runs in Node
  (a devDependency, loaded from node_modules by \`bench/lib/tflite-reference.ts\`): measured in this run beside our
  engines in one Node process, ${reference.forward.tflite.median.toFixed(1)} ms per forward on one thread (CPU), so the fused float path is
  ${(reference.forward.float.median / reference.forward.tflite.median).toFixed(2)}x its time there (see the int8 section below).
- How: \`bench/worker/bench-worker.ts\` under \`wrangler dev\` (one process per backend, chosen by \`--var BENCH_BACKEND\`);
  the Node driver reads the workerd process's CPU time (kernel per-thread counters, /proc/PID/task/*/schedstat) before
  and after each \`/forward?n=1\` request and subtracts the median CPU of a no-op request (workerd's own clock does not
  advance during CPU work; CPU time is also immune to other load on this shared machine). Fused and LayersModel requests alternate. Two warm-up runs each.
`;

writeSection(import.meta.url, markdown + int8Markdown(), { multiplyAdds, speedup, rows, int8, reference });

function int8Markdown(): string {
  if (!int8) return '\n**int8 engine: not measured** (no wasm SIMD process).\n';
  const ms = int8.times.median;
  const vsFused = ms / simd.fused.median;
  const vsLayers = ms / simd.layers.median;
  const node = reference.forward;
  const vsTflite = node.int8.median / node.tflite.median;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return `
### int8 engine (\`shared/backbone/int8/\`, what a quantised backbone now runs on)

${table(
  ['where', 'int8 ms', 'our float path ms', 'TFLite int8 (tfjs-tflite) ms', 'int8 / float', 'int8 / TFLite'],
  [
    ['workerd, CPU (same process and rounds as above)', fmt(int8.times), fmt(simd.fused), 'cannot run in workerd', vsFused.toFixed(2) + 'x', '-'],
    ['Node, one thread, CPU, interleaved', fmt(node.int8), fmt(node.float), fmt(node.tflite), (node.int8.median / node.float.median).toFixed(2) + 'x', vsTflite.toFixed(2) + 'x'],
  ],
)}

- **Target: int8 forward <= 12 ms: ${ms <= 12 ? 'met' : 'MISSED'}** (${ms.toFixed(1)} ms in workerd, ${gflops(ms)} Gop/s; ${(ms / 12).toFixed(2)}x the target).
- **Target: <= 0.55x our float path: ${vsFused <= 0.55 ? 'met' : 'MISSED'}** (${vsFused.toFixed(2)}x in workerd; ${vsLayers.toFixed(2)}x the plain LayersModel).
- **Target: <= 0.7x TensorFlow Lite's int8 (XNNPACK): ${vsTflite <= 0.7 ? 'met' : 'MISSED'}** (${vsTflite.toFixed(2)}x, in Node: TFLite's emscripten build
  cannot be loaded in workerd, so both run in one Node process, one thread, calls interleaved, CPU time per call).
- **Faithfulness: top-1 agreement with TFLite's own interpreter over ${reference.photos} photos (../shared/datasets and ../shared/images,
  ImageNet classifier): ${pct(reference.int8Agreement)}${reference.int8Agreement >= 0.99 ? ' (target >= 99%: met)' : ' (target >= 99%: MISSED)'}**; ${pct(reference.int8AgreementWithTies)} counting
  a class tied with TFLite's top one at its 8-bit output resolution (${reference.tiedPhotos} photos have such ties). For scale: our float
  path agrees with TFLite on ${pct(reference.floatAgreement)} and int8 with float on ${pct(reference.int8FloatAgreement)}. The photos where they differ are
  near-ties between neighbouring ImageNet classes (cat and dog breeds mostly), where the rounding of 50 layers of
  8-bit activations decides; on the sanity photos all agree (\`test/unit/int8-backbone.test.ts\`).
- Embedding against the float path on this bench's synthetic input: cosine ${int8.cosine.toFixed(4)}, relative L2 distance ${int8.relativeL2.toFixed(3)}
  (the unit test bounds both on real photos: cosine > 0.99, relative L2 < 0.15).
- How: the int8 model is \`importBackboneModel(bytes, { engine: 'int8-simd' })\` on the same file in the wasm SIMD
  process above, timed in the same alternating rounds after 12 warm-up calls. Node: \`bench/lib/int8-reference.ts\`
  (TFLite via \`bench/lib/tflite-reference.ts\`, from node_modules, offline), each photo decoded and resized as the
  service does, TFLite fed the same pixels quantised as its input tensor says.
`;
}
