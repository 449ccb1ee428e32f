import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../shared/image/decode-image.ts';
import { probeImage } from '../../shared/image/probe-image.ts';
import { generated, run, withExifOrientation, writePnm } from '../helpers/image-fixtures.ts';

// A 32x16 card of four flat 16x8 quadrants, so every quadrant is whole 8x8 blocks and decodes exactly.
const W = 32, H = 16;
const COLOURS = { TL: [255, 0, 0], TR: [0, 255, 0], BL: [0, 0, 255], BR: [255, 255, 255] } as const;
type Corner = keyof typeof COLOURS;

function card(): Uint8Array {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const corner = `${y < H / 2 ? 'T' : 'B'}${x < W / 2 ? 'L' : 'R'}` as Corner;
      data.set(COLOURS[corner], (y * W + x) * 3);
    }
  }
  return writePnm({ data, width: W, height: H, channels: 3 });
}

// Which source quadrant ends up in each output corner (TL, TR, BL, BR), per the EXIF/TIFF definition.
const EXPECTED: Record<number, [Corner, Corner, Corner, Corner]> = {
  1: ['TL', 'TR', 'BL', 'BR'],
  2: ['TR', 'TL', 'BR', 'BL'], // mirrored left-right
  3: ['BR', 'BL', 'TR', 'TL'], // rotated 180
  4: ['BL', 'BR', 'TL', 'TR'], // mirrored top-bottom
  5: ['TL', 'BL', 'TR', 'BR'], // transposed
  6: ['BL', 'TL', 'BR', 'TR'], // rotated 90 clockwise
  7: ['BR', 'TR', 'BL', 'TL'], // transversed
  8: ['TR', 'BR', 'TL', 'BL'], // rotated 90 anticlockwise
};

describe('EXIF orientation', () => {
  const base = generated('quadrants-444.jpg', () => run('cjpeg', ['-quality', '100', '-sample', '1x1'], card()));

  for (const littleEndian of [true, false]) {
    it.each([1, 2, 3, 4, 5, 6, 7, 8])(`applies orientation %i (${littleEndian ? 'II' : 'MM'} byte order)`, (orientation) => {
      const bytes = withExifOrientation(base, orientation, littleEndian);
      expect(probeImage(bytes)).toMatchObject({ width: W, height: H, orientation });
      const img = decodeImage(bytes, { maxPixels: 1e6 });
      const swapped = orientation >= 5;
      expect([img.width, img.height]).toEqual(swapped ? [H, W] : [W, H]);
      // Sample the middle of each output quadrant.
      const points = [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]];
      points.forEach(([fx, fy], i) => {
        const x = Math.floor(fx * img.width), y = Math.floor(fy * img.height);
        const px = Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
        const want = COLOURS[EXPECTED[orientation][i]];
        px.forEach((v, c) => expect(Math.abs(v - want[c]), `corner ${i} ${px} vs ${want}`).toBeLessThanOrEqual(3));
      });
    });
  }

  it('treats a missing or malformed EXIF block as orientation 1', () => {
    const junk = withExifOrientation(base, 6, true);
    junk[2 + 4 + 6] = 0x58; // break the "II" byte-order mark
    expect(probeImage(junk).orientation).toBe(1);
    expect(probeImage(base).orientation).toBe(1);
  });
});
