/**
 * Run as its own process (`node --import tsx bench/lib/js-memory.ts FILE...`): for each image, the bytes of
 * typed arrays (the pixel planes, coefficients and buffers, which dominate) that the decode and resize of the
 * classify path allocate. Measured in Node, since workerd exposes no heap figures: the typed-array
 * constructors are wrapped to count every new backing store (views of existing buffers are not counted).
 * The sum of all allocations is an upper bound on their live peak. Prints JSON.
 */
import { readFileSync } from 'node:fs';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import { modelInputFrom } from '../../shared/image/preprocess.ts';

let allocated = 0;
const g = globalThis as unknown as Record<string, unknown>;
for (const name of ['Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array']) {
  const Base = g[name] as new (...args: unknown[]) => ArrayBufferView;
  g[name] = class extends Base {
    constructor(...args: unknown[]) {
      super(...args);
      if (!(args[0] instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== 'undefined' && args[0] instanceof SharedArrayBuffer)) allocated += this.byteLength;
    }
  };
}

const out: Record<string, { typedArrayBytes: number; decoded: [number, number] }> = {};
for (const file of process.argv.slice(2)) {
  const bytes = new Uint8Array(readFileSync(file));
  allocated = 0;
  const image = decodeForModel(bytes, { maxPixels: 50e6, height: 224, width: 224 });
  modelInputFrom(image, { height: 224, width: 224, pixelScale: 1 / 128, pixelZeroPoint: 128 });
  const decoded = image.kind === 'planar' ? image.source.jpeg : image.image;
  out[file] = { typedArrayBytes: allocated, decoded: [decoded.width, decoded.height] };
}
console.log(JSON.stringify(out));
