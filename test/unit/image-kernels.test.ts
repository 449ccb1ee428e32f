import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UndecodableImageError } from '../../shared/errors.ts';
import { decodeForModel, decodeImage } from '../../shared/image/decode-image.ts';
import { decodeJpegPlanes, type JpegScale } from '../../shared/image/jpeg/decode-jpeg.ts';
import { createImageKernels, type ImageKernels } from '../../shared/image/image-kernels.ts';
import { createImageRuntime, type ImageRuntime } from '../../shared/image/image-runtime.ts';
import { planesToModelInput } from '../../shared/image/preprocess.ts';
import { PROJECT_ROOT } from '../../trainer/model-store.ts';
import { IMAGE_KERNELS_WASM, loadRuntime } from '../../trainer/runtime.ts';
import { generated, run, sharedFixture, testCard, writePnm } from '../helpers/image-fixtures.ts';

const freshKernels = () => createImageKernels(new WebAssembly.Module(readFileSync(IMAGE_KERNELS_WASM)));
/** An image runtime with fresh kernels and nothing else. */
const kernelRuntime = (): ImageRuntime => createImageRuntime({ kernels: freshKernels() });
// In 0..255 units, so differences read as grey levels.
const target = { height: 224, width: 224, pixelScale: 1, pixelZeroPoint: 0 };

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The model input both ways: kernel, then the JavaScript path. */
function bothWays(run: (kernels: ImageKernels | null) => Float32Array): { kernel: Float32Array; js: Float32Array } {
  return { kernel: run(freshKernels()), js: run(null) };
}

describe('the WebAssembly kernel of sequential JPEG scans (Huffman decoding and inverse DCTs)', () => {
  const card = () => writePnm(testCard(203, 117));
  const photos = () => [
    sharedFixture('images/kite_and_cold.jpg'), // 4:2:0
    sharedFixture('datasets/hymenoptera/train/bees/2467959963_a7831e9ff0.jpg'), // 4:4:4
    sharedFixture('datasets/hymenoptera/val/ants/ants-devouring-remains-of-large-dead-insect-on-red-tile-in-Stellenbosch-South-Africa-closeup-1-DHD.jpg'), // 4:2:2
    sharedFixture('datasets/hymenoptera/train/ants/Nepenthes_rafflesiana_ant.jpg'), // 4:4:0
    generated('card-444-restart.jpg', () => run('cjpeg', ['-quality', '85', '-sample', '1x1', '-restart', '3B'], card())),
    generated('kite-grey-kernel.jpg', () => run('cjpeg', ['-grayscale', '-quality', '90'], writePnm(testCard(701, 455)))),
  ];

  it('decodes to exactly the planes of the JavaScript decoder, at every scale it has and with both chroma layouts', () => {
    let kernelScans = 0;
    for (const [i, bytes] of photos().entries()) {
      for (const scale of [1, 2, 3, 4, 8] as JpegScale[]) {
        for (const compactChroma of [true, false]) {
          const js = decodeJpegPlanes(bytes, scale, { compactChroma });
          const runtime = kernelRuntime();
          const kernel = decodeJpegPlanes(bytes, scale, { compactChroma, runtime });
          // A fresh kernel has one 64 KiB page; laying out a scan's rows of blocks grows it.
          if (runtime.kernels!.memoryBytes > 65536) kernelScans++;
          kernel.planes.forEach((p, c) => {
            expect(Buffer.compare(Buffer.from(p.data), Buffer.from(js.planes[c].data)), `image ${i}, scale ${scale}/8, compact ${compactChroma}, plane ${c}`).toBe(0);
          });
        }
      }
    }
    // The kernel ran (its memory outgrew the first page) for at least the larger half of these decodes; sizes
    // outside 1, 2, 3, 4, 8 (4:2:0 chroma at 3/8 without compactChroma is 6x6) stay in JavaScript.
    expect(kernelScans).toBeGreaterThanOrEqual(20);
  });

  it('leaves a scan too big for its memory to JavaScript, with the same result', () => {
    const big = generated('card-3000x2000.jpg', () => run('cjpeg', ['-quality', '80'], writePnm(testCard(3000, 2000))));
    const js = decodeJpegPlanes(big, 8, { compactChroma: true });
    const runtime = kernelRuntime();
    const kernel = decodeJpegPlanes(big, 8, { compactChroma: true, runtime });
    // 6 MB of luma and 3 MB of chroma at full size: over KERNEL_SCAN_MAX_BYTES, so the kernel did not take it in.
    expect(runtime.kernels!.memoryBytes).toBeLessThan(1 << 20);
    kernel.planes.forEach((p, c) => expect(Buffer.compare(Buffer.from(p.data), Buffer.from(js.planes[c].data)), `plane ${c}`).toBe(0));
  });

  it('throws the same 422 error for truncated and corrupt data', () => {
    const runtime = kernelRuntime();
    const photo = sharedFixture('images/hot_dog.jpg');
    for (const fraction of [0.1, 0.5, 0.99]) {
      expect(() => decodeImage(photo.subarray(0, Math.floor(photo.length * fraction)), { maxPixels: 50e6, minSide: 224, runtime })).toThrow(UndecodableImageError);
    }
    const garbage = photo.slice();
    let seed = 1;
    for (let i = Math.floor(garbage.length / 3); i < garbage.length - 2; i++) garbage[i] = (seed = (seed * 69069 + 1) >>> 0) >>> 24;
    expect(() => decodeImage(garbage, { maxPixels: 50e6, runtime })).toThrow(UndecodableImageError);
    // And still decodes a good photo afterwards.
    expect(decodeImage(photo, { maxPixels: 50e6, runtime }).width).toBeGreaterThan(0);
    expect(runtime.kernels!.memoryBytes, 'the kernel ran').toBeGreaterThan(65536);
  });
});

describe('the WebAssembly SIMD resize kernel', () => {
  it('is image-kernels.as.ts built by `npm run build:kernels` (the committed binary is up to date)', () => {
    const script = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts['build:kernels'] as string;
    const dir = mkdtempSync(join(tmpdir(), 'edgehead-kernel-'));
    try {
      const out = join(dir, 'image-kernels.wasm');
      const args = script.replace(/^asc /, '').replace('shared/image/kernels/image-kernels.wasm', out).split(' ');
      execFileSync(join(PROJECT_ROOT, 'node_modules/.bin/asc'), args, { cwd: PROJECT_ROOT, stdio: 'pipe' });
      expect(Buffer.compare(readFileSync(out), readFileSync(IMAGE_KERNELS_WASM))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('gives the JavaScript path\'s input to float32 rounding: 4:2:0 photo, orientation %i, plain and mirrored', (orientation) => {
    const jpeg = decodeJpegPlanes(sharedFixture('images/cat_720p.jpg'), 3, { compactChroma: true });
    for (const mirror of [false, true]) {
      const { kernel, js } = bothWays((kernels) => planesToModelInput({ jpeg, orientation, mirror, kernels }, target));
      const d = maxDiff(kernel, js);
      // Float32 against float64 arithmetic: a few thousandths of a grey level at most, and not nothing (the kernel ran).
      expect(d, `mirror ${mirror}`).toBeLessThan(2e-3);
      expect(d).toBeGreaterThan(0);
    }
  });

  it('matches on other samplings (4:4:4, 4:2:2, 4:4:0), a centre crop, greyscale and the model\'s own normalisation', () => {
    const card = writePnm(testCard(701, 455));
    const images = [
      sharedFixture('datasets/hymenoptera/train/bees/2467959963_a7831e9ff0.jpg'),
      sharedFixture('datasets/hymenoptera/val/ants/ants-devouring-remains-of-large-dead-insect-on-red-tile-in-Stellenbosch-South-Africa-closeup-1-DHD.jpg'),
      sharedFixture('datasets/hymenoptera/train/ants/Nepenthes_rafflesiana_ant.jpg'),
      sharedFixture('images/kite_and_cold.jpg'),
      generated('kite-grey-kernel.jpg', () => run('cjpeg', ['-grayscale', '-quality', '90'], card)),
    ];
    for (const [i, bytes] of images.entries()) {
      for (const t of [target, { height: 224, width: 224, pixelScale: 1 / 127.5, pixelZeroPoint: 127.5 }, { height: 160, width: 200, pixelScale: 1, pixelZeroPoint: 0 }]) {
        const image = decodeForModel(bytes, { maxPixels: 1e8, height: t.height, width: t.width });
        expect(image.kind).toBe('planar');
        if (image.kind !== 'planar') continue;
        const { kernel, js } = bothWays((kernels) => planesToModelInput({ ...image.source, kernels }, t));
        expect(maxDiff(kernel, js) * (1 / t.pixelScale), `image ${i}, target ${JSON.stringify(t)}`).toBeLessThan(2e-3);
      }
    }
  });

  it('grows its memory for a larger image and keeps giving the same input afterwards', () => {
    const kernel = freshKernels();
    const small = decodeJpegPlanes(sharedFixture('images/cat_720p.jpg'), 3, { compactChroma: true });
    const before = kernel.memoryBytes;
    planesToModelInput({ jpeg: small, orientation: 1, kernels: kernel }, target);
    // Full size: 1352x900 planes, more than the first image needed.
    const large = decodeJpegPlanes(sharedFixture('images/kite_and_cold.jpg'), 8, { compactChroma: true });
    const largeInput = planesToModelInput({ jpeg: large, orientation: 6, kernels: kernel }, target);
    expect(kernel.memoryBytes).toBeGreaterThan(Math.max(before, large.planes[0].data.length));
    const again = planesToModelInput({ jpeg: small, orientation: 1, kernels: kernel }, target);
    expect(maxDiff(again, planesToModelInput({ jpeg: small, orientation: 1 }, target))).toBeLessThan(2e-3);
    expect(maxDiff(largeInput, planesToModelInput({ jpeg: large, orientation: 6 }, target))).toBeLessThan(2e-3);
  });

  it('is part of the CLI\'s runtime, as of the worker\'s, with libwebp', async () => {
    const { image } = await loadRuntime();
    expect(image.kernels).not.toBeNull();
    expect(image.webp).not.toBeNull();
  });
});
