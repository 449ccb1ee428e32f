import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import { decodeJpegPlanes } from '../../shared/image/jpeg/decode-jpeg.ts';
import { installPlaneResizeKernel, planeResizeKernel } from '../../shared/image/plane-resize-kernel.ts';
import { planesToModelInput } from '../../shared/image/preprocess.ts';
import { PROJECT_ROOT } from '../../trainer/model-store.ts';
import { PLANE_RESIZE_WASM, startTfBackend } from '../../trainer/tf-backend.ts';
import { generated, run, sharedFixture, testCard, writePnm } from '../helpers/image-fixtures.ts';

const kernelModule = () => new WebAssembly.Module(readFileSync(PLANE_RESIZE_WASM));
// In 0..255 units, so differences read as grey levels.
const target = { height: 224, width: 224, pixelScale: 1, pixelZeroPoint: 0 };

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The model input both ways: kernel, then the JavaScript path. */
function bothWays(run: () => Float32Array): { kernel: Float32Array; js: Float32Array } {
  installPlaneResizeKernel(kernelModule());
  const kernel = run();
  installPlaneResizeKernel(null);
  return { kernel, js: run() };
}

afterEach(() => installPlaneResizeKernel(null));

describe('the WebAssembly SIMD resize kernel', () => {
  it('is plane-resize.as.ts built by `npm run build:kernels` (the committed binary is up to date)', () => {
    const script = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts['build:kernels'] as string;
    const dir = mkdtempSync(join(tmpdir(), 'edgehead-kernel-'));
    try {
      const out = join(dir, 'plane-resize.wasm');
      const args = script.replace(/^asc /, '').replace('shared/image/kernels/plane-resize.wasm', out).split(' ');
      execFileSync(join(PROJECT_ROOT, 'node_modules/.bin/asc'), args, { cwd: PROJECT_ROOT, stdio: 'pipe' });
      expect(Buffer.compare(readFileSync(out), readFileSync(PLANE_RESIZE_WASM))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('gives the JavaScript path\'s input to float32 rounding: 4:2:0 photo, orientation %i, plain and mirrored', (orientation) => {
    const jpeg = decodeJpegPlanes(sharedFixture('images/cat_720p.jpg'), 3, { compactChroma: true });
    for (const mirror of [false, true]) {
      const { kernel, js } = bothWays(() => planesToModelInput({ jpeg, orientation, mirror }, target));
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
        const { kernel, js } = bothWays(() => planesToModelInput(image.source, t));
        expect(maxDiff(kernel, js) * (1 / t.pixelScale), `image ${i}, target ${JSON.stringify(t)}`).toBeLessThan(2e-3);
      }
    }
  });

  it('grows its memory for a larger image and keeps giving the same input afterwards', () => {
    installPlaneResizeKernel(kernelModule());
    const kernel = planeResizeKernel()!;
    const small = decodeJpegPlanes(sharedFixture('images/cat_720p.jpg'), 3, { compactChroma: true });
    const before = kernel.memoryBytes;
    planesToModelInput({ jpeg: small, orientation: 1 }, target);
    // Full size: 1352x900 planes, more than the first image needed.
    const large = decodeJpegPlanes(sharedFixture('images/kite_and_cold.jpg'), 8, { compactChroma: true });
    const largeInput = planesToModelInput({ jpeg: large, orientation: 6 }, target);
    expect(kernel.memoryBytes).toBeGreaterThan(Math.max(before, large.planes[0].data.length));
    const again = planesToModelInput({ jpeg: small, orientation: 1 }, target);
    installPlaneResizeKernel(null);
    expect(maxDiff(again, planesToModelInput({ jpeg: small, orientation: 1 }, target))).toBeLessThan(2e-3);
    expect(maxDiff(largeInput, planesToModelInput({ jpeg: large, orientation: 6 }, target))).toBeLessThan(2e-3);
  });

  it('is installed by the CLI\'s backend start, as the worker installs it', async () => {
    expect(planeResizeKernel()).toBeNull();
    await startTfBackend();
    expect(planeResizeKernel()).not.toBeNull();
  });
});
