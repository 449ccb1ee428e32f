import { describe, expect, it } from 'vitest';
import imageKernelsModule from '../../shared/image/kernels/image-kernels.wasm';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import { decodeJpegPlanes } from '../../shared/image/jpeg/decode-jpeg.ts';
import { createImageKernels } from '../../shared/image/image-kernels.ts';
import { createImageRuntime } from '../../shared/image/image-runtime.ts';
import { planesToModelInput } from '../../shared/image/preprocess.ts';
import { fixture } from './fixtures.ts';

describe('the image kernels inside workerd', () => {
  it('runs on workerd\'s WebAssembly SIMD and gives the JavaScript path\'s input to float32 rounding', () => {
    const kernels = createImageKernels(imageKernelsModule);
    for (const name of ['images/cat_720p.jpg', 'images/hot_dog.jpg']) {
      const image = decodeForModel(fixture(name), { maxPixels: 50e6, height: 224, width: 224 });
      expect(image.kind).toBe('planar');
      if (image.kind !== 'planar') continue;
      const target = { height: 224, width: 224, pixelScale: 1, pixelZeroPoint: 0 };
      const kernel = planesToModelInput({ ...image.source, mirror: true, kernels }, target);
      const js = planesToModelInput({ ...image.source, mirror: true, kernels: null }, target);
      let max = 0;
      for (let i = 0; i < js.length; i++) max = Math.max(max, Math.abs(kernel[i] - js[i]));
      expect(max, name).toBeLessThan(2e-3);
      expect(max, name).toBeGreaterThan(0);
    }
  });

  it('decodes JPEG scans (Huffman codes and inverse DCTs) to exactly the JavaScript decoder\'s planes', () => {
    for (const name of ['images/cat_720p.jpg', 'images/hot_dog.jpg']) {
      for (const scale of [3, 8] as const) {
        const runtime = createImageRuntime({ kernels: createImageKernels(imageKernelsModule) });
        const js = decodeJpegPlanes(fixture(name), scale, { compactChroma: true });
        const kernel = decodeJpegPlanes(fixture(name), scale, { compactChroma: true, runtime });
        // The 1280x720 photo's rows of blocks outgrow the kernel's first 64 KiB page: proof that it ran.
        if (name === 'images/cat_720p.jpg') expect(runtime.kernels!.memoryBytes, 'the kernel ran').toBeGreaterThan(65536);
        kernel.planes.forEach((p, c) => {
          let differing = 0;
          for (let i = 0; i < p.data.length; i++) if (p.data[i] !== js.planes[c].data[i]) differing++;
          expect(differing, `${name} at ${scale}/8, plane ${c}`).toBe(0);
        });
      }
    }
  });
});
