import { writeFileSync } from 'node:fs';
import { encode as encodePng } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { TooLargeError, UndecodableImageError } from '../../shared/errors.ts';
import { decodeImage } from '../../shared/image/decode-image.ts';
import { probeImage } from '../../shared/image/probe-image.ts';
import { UnsupportedMediaError } from '../../shared/errors.ts';
import type { ImageRuntime } from '../../shared/image/image-runtime.ts';
import { loadRuntime } from '../../trainer/runtime.ts';
import { generated, generatedPath, meanAbsDiff, readPnm, run, sharedFixture } from '../helpers/image-fixtures.ts';

let opts: { maxPixels: number; runtime: ImageRuntime };

/** A lossy WebP of a real photo, made by libwebp's own cwebp. */
function lossyKite(): Uint8Array {
  return generated('kite-q80.webp', () => {
    const jpeg = generatedPath('kite-source.jpg');
    writeFileSync(jpeg, sharedFixture('images/kite_and_cold.jpg'));
    return run('cwebp', ['-quiet', '-q', '80', jpeg, '-o', '-']);
  });
}

/** A lossless WebP with an alpha ramp: columns go from transparent to opaque over a red-green gradient. */
function alphaRamp(): { webp: Uint8Array; rgba: Uint8Array; width: number; height: number } {
  const width = 64;
  const height = 8;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba.set([x * 4, 255 - x * 4, 40, Math.round((x / (width - 1)) * 255)], i);
    }
  }
  const webp = generated('alpha-ramp-lossless.webp', () => {
    writeFileSync(generatedPath('alpha-ramp.png'), encodePng({ width, height, data: rgba, channels: 4, depth: 8 }));
    return run('cwebp', ['-quiet', '-lossless', '-exact', generatedPath('alpha-ramp.png'), '-o', '-']);
  });
  return { webp, rgba, width, height };
}

describe('WebP through the wasm libwebp codec', () => {
  beforeAll(async () => {
    opts = { maxPixels: 50_000_000, runtime: (await loadRuntime()).image };
  });

  it('decodes a lossy photo like libwebp\'s dwebp does', () => {
    const webp = lossyKite();
    expect(probeImage(webp)).toMatchObject({ format: 'webp', width: 1352, height: 900 });
    const ours = decodeImage(webp, opts);
    expect([ours.width, ours.height]).toEqual([1352, 900]);
    const reference = readPnm(run('dwebp', ['-quiet', generatedPath('kite-q80.webp'), '-ppm', '-o', '-']));
    for (const diff of meanAbsDiff({ ...ours }, reference)) expect(diff).toBeLessThan(1);
  });

  it('composites lossless alpha over white, exactly', () => {
    const { webp, rgba, width, height } = alphaRamp();
    const image = decodeImage(webp, opts);
    expect([image.width, image.height]).toEqual([width, height]);
    for (let i = 0; i < width * height; i++) {
      const a = rgba[i * 4 + 3];
      for (let c = 0; c < 3; c++) {
        const expected = a === 255 ? rgba[i * 4 + c] : Math.round((rgba[i * 4 + c] * a + 255 * (255 - a)) / 255);
        expect(image.data[i * 3 + c]).toBe(expected);
      }
    }
    expect(Array.from(image.data.subarray(0, 3))).toEqual([255, 255, 255]);
  });

  it('returns 422 for a truncated WebP and 413 from the header for one over the pixel limit', () => {
    const webp = lossyKite();
    expect(() => decodeImage(webp.slice(0, 2000), opts)).toThrow(UndecodableImageError);
    expect(() => decodeImage(webp, { ...opts, maxPixels: 1_000_000 })).toThrow(TooLargeError);
  });

  it('returns 415 for a WebP when no runtime brings a codec', () => {
    expect(() => decodeImage(lossyKite(), { maxPixels: 50_000_000 })).toThrow(UnsupportedMediaError);
  });
});
