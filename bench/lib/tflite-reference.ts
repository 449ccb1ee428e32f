/**
 * TensorFlow Lite's own interpreter (`@tensorflow/tfjs-tflite`, a devDependency: its emscripten build of the
 * TFLite runtime with XNNPACK, SIMD, one thread) run in Node from node_modules, as the benchmarks' reference.
 * The package is made for browsers: it loads its runtime with `importScripts` (a web worker, since Node has no
 * `window`) and fetches the .wasm by URL. Both are served here from its `wasm/` folder, so nothing is
 * downloaded; the threaded builds are swapped for the single-threaded SIMD one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);
const WASM_DIR = join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
const ORIGIN = 'http://tflite.invalid/';

interface TfliteModel {
  predict(input: tf.Tensor): tf.Tensor;
}

function localFile(url: string): string {
  return join(WASM_DIR, url.split('/').pop()!.replace('_threaded', ''));
}

let loader: Promise<{ loadTFLiteModel(model: ArrayBuffer, options: { numThreads: number }): Promise<TfliteModel> }> | null = null;

function tflite(): NonNullable<typeof loader> {
  loader ??= (async () => {
    const scope = globalThis as unknown as Record<string, unknown>;
    scope.self ??= globalThis;
    scope.location ??= { href: ORIGIN, origin: ORIGIN.slice(0, -1) };
    scope.importScripts = (url: string) => vm.runInThisContext(readFileSync(localFile(url), 'utf8'), { filename: localFile(url) });
    const fetchUrl = globalThis.fetch;
    globalThis.fetch = (async (url: string | URL | Request, init?: RequestInit) => {
      const href = String(url);
      if (href.startsWith(ORIGIN)) return new Response(readFileSync(localFile(href)), { headers: { 'content-type': 'application/wasm' } });
      return fetchUrl(url, init);
    }) as typeof fetch;
    const module = require('@tensorflow/tfjs-tflite/dist/tf-tflite.node.js') as { setWasmPath(path: string): void };
    module.setWasmPath(ORIGIN);
    return module as unknown as Awaited<NonNullable<typeof loader>>;
  })();
  return loader;
}

/** A quantised TFLite classifier run by TFLite itself: uint8 pixels in, dequantised class scores out. */
export interface TfliteReference {
  /** `pixels`: the model's quantised input values (0..255), HWC */
  classify(pixels: Uint8Array): Float32Array;
}

/** Loads `bytes` into TFLite's interpreter (one thread). */
export async function loadTfliteReference(bytes: Uint8Array, shape: [number, number, number]): Promise<TfliteReference> {
  const model = await (await tflite()).loadTFLiteModel(bytes.slice().buffer, { numThreads: 1 });
  const warn = console.warn;
  return {
    classify(pixels) {
      // tfjs has no uint8 tensors; the runner converts int32 (and warns each time).
      console.warn = () => {};
      const x = tf.tensor(Int32Array.from(pixels), [1, ...shape], 'int32');
      try {
        const y = model.predict(x);
        const out = Float32Array.from(y.dataSync());
        y.dispose();
        return out;
      } finally {
        x.dispose();
        console.warn = warn;
      }
    },
  };
}
