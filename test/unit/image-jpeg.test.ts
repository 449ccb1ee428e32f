import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { chooseJpegScale, decodeImage } from '../../shared/image/decode-image.ts';
import { decodeJpeg, type JpegScale } from '../../shared/image/jpeg/decode-jpeg.ts';
import type { RgbImage } from '../../shared/image/image-types.ts';
import { probeImage } from '../../shared/image/probe-image.ts';
import {
  generated, meanAbsDiff, readPnm, run, sharedFixture, testCard, withExifOrientation, writePnm, type Pixels,
} from '../helpers/image-fixtures.ts';

const BIG = 100e6;
const rgb = (img: RgbImage): Pixels => ({ ...img });

function jpegJs(bytes: Uint8Array): Pixels {
  const ref = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 200, maxMemoryUsageInMB: 2048 });
  return { data: ref.data, width: ref.width, height: ref.height, channels: 3 };
}

/**
 * libjpeg-turbo's decoder at `scale`/8 size; `nosmooth` makes it replicate chroma samples as ours does
 * instead of interpolating.
 */
function djpeg(bytes: Uint8Array, scale = 8, nosmooth = false): Pixels {
  const args = scale === 8 ? [] : ['-scale', `${scale}/8`];
  return readPnm(run('djpeg', [...args, ...(nosmooth ? ['-nosmooth'] : []), '-ppm'], bytes));
}

const PHOTOS = ['images/cat_720p.jpg', 'images/cat_1080p.jpg', 'images/hot_dog.jpg', 'images/kite_and_cold.jpg'];
// Sampling factors 1x1 (4:4:4), 2x1 (4:2:2) and 1x2 (4:4:0) among real photos of the datasets.
const DATASET_PHOTOS = [
  'datasets/hymenoptera/train/bees/2467959963_a7831e9ff0.jpg',
  'datasets/hymenoptera/val/ants/ants-devouring-remains-of-large-dead-insect-on-red-tile-in-Stellenbosch-South-Africa-closeup-1-DHD.jpg',
  'datasets/hymenoptera/train/ants/Nepenthes_rafflesiana_ant.jpg',
];
const PROGRESSIVE_PHOTOS = [
  'datasets/hymenoptera/train/ants/ant photos.jpg',
  'datasets/hymenoptera/val/bees/6a00d8341c630a53ef00e553d0beb18834-800wi.jpg',
];

describe('decodeImage on real JPEG photos', () => {
  it.each([...PHOTOS, ...DATASET_PHOTOS])('matches jpeg-js on %s', (path) => {
    const bytes = sharedFixture(path);
    const img = decodeImage(bytes, { maxPixels: BIG });
    const diff = meanAbsDiff(rgb(img), jpegJs(bytes));
    console.log(`vs jpeg-js ${path.split('/').pop()}: ${diff.map((d) => d.toFixed(3)).join(' ')}`);
    for (const d of diff) expect(d).toBeLessThan(1.5);
  });

  it.each(PHOTOS)('matches djpeg at full scale on %s', (path) => {
    const bytes = sharedFixture(path);
    const diff = meanAbsDiff(rgb(decodeImage(bytes, { maxPixels: BIG })), djpeg(bytes));
    for (const d of diff) expect(d).toBeLessThan(1.5);
  });

  it.each(PROGRESSIVE_PHOTOS)('decodes the progressive photo %s', (path) => {
    const bytes = sharedFixture(path);
    expect(probeImage(bytes).progressive).toBe(true);
    const img = decodeImage(bytes, { maxPixels: BIG });
    const diff = meanAbsDiff(rgb(img), djpeg(bytes));
    for (const d of diff) expect(d).toBeLessThan(1.5);
  });
});

describe('progressive JPEG', () => {
  it('decodes a jpegtran -progressive copy to exactly the pixels of its baseline source, at every scale', () => {
    const baseline = sharedFixture('images/kite_and_cold.jpg');
    const progressive = generated('kite-progressive.jpg', () => run('jpegtran', ['-progressive', '-copy', 'none'], baseline));
    expect(probeImage(progressive).progressive).toBe(true);
    for (const minSide of [undefined, 400, 300, 200, 100]) {
      const a = decodeImage(baseline, { maxPixels: BIG, minSide });
      const b = decodeImage(progressive, { maxPixels: BIG, minSide });
      expect([b.width, b.height]).toEqual([a.width, a.height]);
      expect(Buffer.from(b.data).equals(Buffer.from(a.data))).toBe(true);
    }
    // 6/8: 6x6 luma and 12x12 chroma IDCTs from the progressive coefficient buffer.
    expect(Buffer.from(decodeJpeg(progressive, 6).data).equals(Buffer.from(decodeJpeg(baseline, 6).data))).toBe(true);
  });

  it('decodes blocks that use all 64 coefficients (no end-of-block code) identically to progressive', () => {
    // Quality 100 on noise leaves the 63rd coefficient non-zero in many blocks, so they end without an
    // end-of-block code and the next bits are the next block's DC: the two-symbol AC step must not read on.
    const noise: Pixels = { width: 96, height: 64, channels: 3, data: new Uint8Array(96 * 64 * 3) };
    let seed = 7;
    for (let i = 0; i < noise.data.length; i++) noise.data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const base = generated('noise-q100.jpg', () => run('cjpeg', ['-quality', '100', '-sample', '1x1'], writePnm(noise)));
    const prog = generated('noise-q100-progressive.jpg', () => run('jpegtran', ['-progressive'], base));
    for (const scale of [8, 4, 3] as JpegScale[]) {
      expect(Buffer.from(decodeJpeg(base, scale).data).equals(Buffer.from(decodeJpeg(prog, scale).data))).toBe(true);
    }
    for (const d of meanAbsDiff(rgb(decodeImage(base, { maxPixels: BIG })), djpeg(base))) expect(d).toBeLessThan(0.6);
  });

  it('decodes progressive 4:4:4 with restart intervals identically to baseline', () => {
    const card = writePnm(testCard(203, 117));
    const base = generated('card-444-restart.jpg', () => run('cjpeg', ['-quality', '85', '-sample', '1x1', '-restart', '3B'], card));
    const prog = generated('card-444-restart-progressive.jpg', () => run('jpegtran', ['-progressive', '-restart', '2B'], base));
    const a = decodeImage(base, { maxPixels: BIG });
    expect(Buffer.from(decodeImage(prog, { maxPixels: BIG }).data).equals(Buffer.from(a.data))).toBe(true);
  });
});

describe('scaled decode in the DCT domain', () => {
  const photo = sharedFixture('images/kite_and_cold.jpg'); // 1352x900
  // Mean absolute difference per channel allowed at each M/8. The powers of 2 evaluate the reduced
  // transform at the pixel-group centres, as libjpeg's M/8 kernels do, but djpeg's 1/2 and 1/4 (jidctred.c)
  // use different approximations: about 1 level apart. The other sizes agree to about 0.03 (rounding only).
  const BOUND: Record<number, number> = { 1: 0.5, 2: 2, 3: 0.15, 4: 2, 5: 0.15, 6: 0.15, 7: 0.15 };
  it.each([1, 2, 3, 4])('picks and matches djpeg -scale %i/8', (scale) => {
    // minSide just reachable at this scale: 900 * scale / 8.
    const minSide = Math.ceil((900 * scale) / 8);
    expect(chooseJpegScale(1352, 900, minSide)).toBe(scale);
    const img = decodeImage(photo, { maxPixels: BIG, minSide });
    expect([img.width, img.height]).toEqual([Math.ceil((1352 * scale) / 8), Math.ceil((900 * scale) / 8)]);
    expect(Math.min(img.width, img.height)).toBeGreaterThanOrEqual(minSide);
    const diff = meanAbsDiff(rgb(img), djpeg(photo, scale));
    console.log(`vs djpeg -scale ${scale}/8: ${diff.map((d) => d.toFixed(3)).join(' ')}`);
    for (const d of diff) expect(d).toBeLessThan(BOUND[scale]);
  });

  it.each([5, 6, 7])('decodes at %i/8 like djpeg (not chosen by chooseJpegScale, still supported)', (scale) => {
    const img = decodeJpeg(photo, scale as JpegScale);
    expect([img.width, img.height]).toEqual([Math.ceil((1352 * scale) / 8), Math.ceil((900 * scale) / 8)]);
    const diff = meanAbsDiff({ ...img, channels: 3 }, djpeg(photo, scale));
    console.log(`vs djpeg -scale ${scale}/8: ${diff.map((d) => d.toFixed(3)).join(' ')}`);
    for (const d of diff) expect(d).toBeLessThan(BOUND[scale]);
  });

  it('picks the smallest M/8 that keeps the shorter side >= minSide', () => {
    expect(chooseJpegScale(4000, 3000, 224)).toBe(1); // 500x375
    expect(chooseJpegScale(4000, 3000, 376)).toBe(2); // 1000x750
    expect(chooseJpegScale(1352, 900, 224)).toBe(2); // 338x225
    expect(chooseJpegScale(1352, 900, 226)).toBe(3); // 507x338
    expect(chooseJpegScale(1152, 864, 224)).toBe(3); // 432x324
    expect(chooseJpegScale(640, 480, 224)).toBe(4); // 320x240
    expect(chooseJpegScale(400, 300, 224)).toBe(8); // 5/8 to 7/8 are never chosen
    expect(chooseJpegScale(600, 450, 224)).toBe(4); // 300x225
    expect(chooseJpegScale(300, 200, 224)).toBe(8);
    expect(chooseJpegScale(4000, 3000, undefined)).toBe(8);
  });

  it('keeps min side >= minSide when EXIF orientation 6 swaps the sides', () => {
    const rotated = withExifOrientation(sharedFixture('images/kite_and_cold.jpg'), 6, false);
    const img = decodeImage(rotated, { maxPixels: BIG, minSide: 224 });
    expect([img.width, img.height]).toEqual([225, 338]);
  });

  it.each([
    ['2x2', 'h2v2 (4:2:0)'], ['2x1', 'h2v1 (4:2:2)'], ['1x2', 'h1v2 (4:4:0)'], ['4x1', 'h4v1 (4:1:1)'], ['1x1', 'h1v1 (4:4:4)'],
  ])('decodes sampling %s, %s, at every scale close to djpeg -nosmooth', (sample) => {
    // A synthetic card with saturated colour edges: chroma interpolation (djpeg's default) differs from
    // replication by up to 9 levels here, so the like-for-like reference is djpeg -nosmooth.
    const card = writePnm(testCard(331, 251));
    const bytes = generated(`card-${sample}.jpg`, () => run('cjpeg', ['-quality', '90', '-sample', sample], card));
    for (const scale of [1, 2, 3, 4, 5, 6, 7, 8] as const) {
      const img = decodeJpeg(bytes, scale);
      expect(img.width, `scale ${scale}/8`).toBe(Math.ceil((331 * scale) / 8));
      const diff = meanAbsDiff({ ...img, channels: 3 }, djpeg(bytes, scale, true));
      for (const d of diff) expect(d, `scale ${scale}/8`).toBeLessThan(0.6);
    }
  });
});

describe('colour spaces', () => {
  it('decodes a greyscale JPEG to equal R, G and B close to djpeg', () => {
    const photo = sharedFixture('images/kite_and_cold.jpg');
    const grey = generated('kite-grey.jpg', () => run('cjpeg', ['-grayscale', '-quality', '90'], writePnm(djpeg(photo))));
    const info = probeImage(grey);
    expect(info.components).toBe(1);
    const img = decodeImage(grey, { maxPixels: BIG });
    for (let i = 0; i < img.data.length; i += 3) {
      if (img.data[i] !== img.data[i + 1] || img.data[i] !== img.data[i + 2]) throw new Error(`pixel ${i / 3} is not grey`);
    }
    const ref = readPnm(run('djpeg', ['-pnm'], grey));
    expect(ref.channels).toBe(1);
    let sum = 0;
    for (let i = 0; i < ref.data.length; i++) sum += Math.abs(ref.data[i] - img.data[i * 3]);
    expect(sum / ref.data.length).toBeLessThan(1);
  });

  it('decodes an Adobe CMYK JPEG (made by ImageMagick) back to roughly the source RGB', () => {
    const src = testCard(160, 120);
    const png = generated('card.ppm', () => writePnm(src));
    const cmyk = generated('card-cmyk.jpg', () => run('convert', ['ppm:-', '-colorspace', 'CMYK', '-quality', '95', 'jpg:-'], png));
    const info = probeImage(cmyk);
    expect(info.components).toBe(4);
    const img = decodeImage(cmyk, { maxPixels: BIG });
    const diff = meanAbsDiff(rgb(img), src);
    console.log(`CMYK vs source RGB: ${diff.map((d) => d.toFixed(2)).join(' ')}`);
    for (const d of diff) expect(d).toBeLessThan(6);
  });

  it('decodes an RGB JPEG (no colour transform) close to djpeg', () => {
    const card = writePnm(testCard(120, 90));
    const bytes = generated('card-rgb.jpg', () => run('cjpeg', ['-rgb', '-quality', '95'], card));
    const diff = meanAbsDiff(rgb(decodeImage(bytes, { maxPixels: BIG })), djpeg(bytes));
    for (const d of diff) expect(d).toBeLessThan(1);
  });
});
