/**
 * Backbone forward inside workerd: the fused path vs the plain LayersModel of the same weights, on wasm SIMD
 * (what ships), wasm without SIMD and the tfjs CPU backend. One `wrangler dev` per backend; fused and baseline
 * requests alternate so both see the same machine load.
 */
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
let int8: { times: Summary; cosine: number; relativeL2: number; memoryBytes: number } | undefined;

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
      int8 = { times: summarize(int8Times), ...distance(q, a), memoryBytes: 0 };
      console.error(`${label}: int8 ${fmt(int8.times)} ms, cosine to the fused float embedding ${int8.cosine.toFixed(4)}`);
    }
    rows.push({ backend: label, fused: summarize(fused), layers: summarize(layers), maxAbsDiff, wasmHeapBytes: memory.wasmHeapBytes });
    console.error(`${label}: fused ${fmt(summarize(fused))} ms, layers ${fmt(summarize(layers))} ms, max |diff| ${maxAbsDiff}`);
  } finally {
    await server.stop();
  }
}

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
- **Not measured: \`@tensorflow/tfjs-tflite\`** (the int8 peer). It is not a dependency, and its TFLite runtime is a
  separate emscripten build that loads its .wasm by URL and compiles it at run time, which workerd forbids (the
  same obstacle this project works around for tfjs-backend-wasm with a precompiled module import). The issue quotes
  about 18 ms for it in Node on one thread; measured on another occasion, that figure is not comparable with this
  run, but taken at face value the fused path is ${(simd.fused.median / 18).toFixed(2)}x its time (the stretch goal is 1.3x).
- How: \`bench/worker/bench-worker.ts\` under \`wrangler dev\` (one process per backend, chosen by \`--var BENCH_BACKEND\`);
  the Node driver reads the workerd process's CPU time (kernel per-thread counters, /proc/PID/task/*/schedstat) before
  and after each \`/forward?n=1\` request and subtracts the median CPU of a no-op request (workerd's own clock does not
  advance during CPU work; CPU time is also immune to other load on this shared machine). Fused and LayersModel requests alternate. Two warm-up runs each.
`;

writeSection(import.meta.url, markdown, { multiplyAdds, speedup, rows });
