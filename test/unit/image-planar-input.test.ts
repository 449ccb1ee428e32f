import { describe, expect, it } from 'vitest';
import { flipHorizontal } from '../../shared/image/augment.ts';
import { decodeForModel, decodeImage } from '../../shared/image/decode-image.ts';
import { applyExifOrientation } from '../../shared/image/exif-orientation.ts';
import { convertToRgb } from '../../shared/image/jpeg/colour-convert.ts';
import { decodeJpegPlanes } from '../../shared/image/jpeg/decode-jpeg.ts';
import { modelInputFrom, planesToModelInput, toModelInput } from '../../shared/image/preprocess.ts';
import { generated, run, sharedFixture, withExifOrientation, writePnm, testCard } from '../helpers/image-fixtures.ts';

// In 0..255 units, so differences read as grey levels.
const target = { height: 224, width: 224, pixelScale: 1, pixelZeroPoint: 0 };

function diff(a: Float32Array, b: Float32Array): { mean: number; max: number; over4: number } {
  expect(a.length).toBe(b.length);
  let sum = 0, max = 0, over4 = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    max = Math.max(max, d);
    if (d > 4) over4++;
  }
  return { mean: sum / a.length, max, over4: over4 / a.length };
}

describe('planar model input (JPEG planes resized, then colour-converted)', () => {
  const photo = sharedFixture('images/cat_720p.jpg');

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('orients (and mirrors) like the RGB path: orientation %i', (orientation) => {
    // The same 4:2:0 planes both ways, so only the order of colour conversion and resize differs.
    const jpeg = decodeJpegPlanes(photo, 3, { compactChroma: true }); // 3/8: 480x270, as the classify path decodes it
    const rgb = applyExifOrientation({ data: convertToRgb(jpeg.planes, jpeg.width, jpeg.height, jpeg.transform), width: jpeg.width, height: jpeg.height, channels: 3 }, orientation);
    for (const mirror of [false, true]) {
      const d = diff(planesToModelInput({ jpeg, orientation, mirror }, target), toModelInput(mirror ? flipHorizontal(rgb) : rgb, target));
      // A wrong orientation or crop would be off by tens of levels nearly everywhere.
      expect(d.mean, `mirror ${mirror}`).toBeLessThan(0.4);
      expect(d.over4, `mirror ${mirror}`).toBeLessThan(0.002);
    }
  });

  it('gives exactly the RGB path for a greyscale JPEG (same samples, same weights)', () => {
    const grey = generated('kite-grey-planar.jpg', () => run('cjpeg', ['-grayscale', '-quality', '90'], writePnm(testCard(701, 455))));
    const planar = decodeForModel(grey, { maxPixels: 1e8, height: 224, width: 224 });
    expect(planar.kind).toBe('planar');
    const d = diff(modelInputFrom(planar, target), toModelInput(decodeImage(grey, { maxPixels: 1e8, minSide: 224 }), target));
    expect(d.max).toBeLessThan(1e-3);
  });

  it('stays close to decoding to RGB first, on photos, with EXIF orientation', () => {
    for (const orientation of [1, 6]) {
      const bytes = withExifOrientation(photo, orientation, true);
      const planar = decodeForModel(bytes, { maxPixels: 1e8, height: 224, width: 224 });
      expect(planar.kind).toBe('planar');
      const d = diff(modelInputFrom(planar, target), toModelInput(decodeImage(bytes, { maxPixels: 1e8, minSide: 224 }), target));
      // This 1280x720 photo decodes at 3/8. Chroma comes from 3x3 IDCTs at its own resolution instead of
      // 6x6 ones at the luma resolution (the RGB path keeps chroma frequencies 3 to 5, which the resize to
      // 224 mostly but not entirely averages away) and clipping happens after averaging: under a level on
      // average (0.74), more than 4 levels for ~2% of values, at saturated edges.
      expect(d.mean).toBeLessThan(1);
      expect(d.over4).toBeLessThan(0.03);
      const mirrored = diff(modelInputFrom(planar, target, { mirror: true }), toModelInput(flipHorizontal(decodeImage(bytes, { maxPixels: 1e8, minSide: 224 })), target));
      expect(mirrored.mean).toBeLessThan(1);
    }
  });

  it('falls back to RGB for CMYK, PNG and images smaller than the target', () => {
    const cmyk = generated('card-cmyk-planar.jpg', () => run('convert', ['ppm:-', '-colorspace', 'CMYK', 'jpg:-'], writePnm(testCard(300, 260))));
    expect(decodeForModel(cmyk, { maxPixels: 1e8, height: 224, width: 224 }).kind).toBe('rgb');
    const small = generated('card-small-planar.jpg', () => run('cjpeg', ['-quality', '90'], writePnm(testCard(200, 150))));
    const image = decodeForModel(small, { maxPixels: 1e8, height: 224, width: 224 });
    expect(image.kind).toBe('rgb');
    expect(diff(modelInputFrom(image, target), toModelInput(decodeImage(small, { maxPixels: 1e8, minSide: 224 }), target)).max).toBe(0);
  });
});
