import { describe, expect, it } from 'vitest';
import planeResizeModule from '../../shared/image/kernels/plane-resize.wasm';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import { installPlaneResizeKernel, planeResizeKernel, setPlaneResizeKernel } from '../../shared/image/plane-resize-kernel.ts';
import { planesToModelInput } from '../../shared/image/preprocess.ts';
import { fixture } from './fixtures.ts';

describe('the resize kernel inside workerd', () => {
  it('runs on workerd\'s WebAssembly SIMD and gives the JavaScript path\'s input to float32 rounding', () => {
    const previous = planeResizeKernel();
    try {
      for (const name of ['images/cat_720p.jpg', 'images/hot_dog.jpg']) {
        const image = decodeForModel(fixture(name), { maxPixels: 50e6, height: 224, width: 224 });
        expect(image.kind).toBe('planar');
        if (image.kind !== 'planar') continue;
        const target = { height: 224, width: 224, pixelScale: 1, pixelZeroPoint: 0 };
        installPlaneResizeKernel(planeResizeModule);
        const kernel = planesToModelInput({ ...image.source, mirror: true }, target);
        setPlaneResizeKernel(null);
        const js = planesToModelInput({ ...image.source, mirror: true }, target);
        let max = 0;
        for (let i = 0; i < js.length; i++) max = Math.max(max, Math.abs(kernel[i] - js[i]));
        expect(max, name).toBeLessThan(2e-3);
        expect(max, name).toBeGreaterThan(0);
      }
    } finally {
      setPlaneResizeKernel(previous);
    }
  });
});
