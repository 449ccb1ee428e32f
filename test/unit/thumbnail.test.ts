import { describe, expect, it } from 'vitest';
import { decodePng } from '../../shared/image/png/decode-png.ts';
import { encodePng } from '../../shared/image/png/encode-png.ts';
import { shrinkToFit } from '../../shared/image/thumbnail.ts';

describe('thumbnails', () => {
  it('encodePng writes a PNG that decodePng reads back to the same pixels', () => {
    const width = 37, height = 23;
    const data = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 251);
    const png = encodePng({ data, width, height, channels: 3 });
    expect(decodePng(png)).toMatchObject({ width, height, data });
  });

  it('shrinkToFit averages whole source boxes and keeps the aspect ratio', () => {
    // 4x2 pixels shrunk to 2x1: each output pixel is the mean of a 2x2 box.
    const data = Uint8Array.from([0, 0, 0, 10, 20, 30, 100, 100, 100, 200, 200, 200, 2, 4, 6, 4, 8, 12, 50, 50, 50, 50, 50, 50]);
    const small = shrinkToFit({ data, width: 4, height: 2, channels: 3 }, 2);
    expect(small).toMatchObject({ width: 2, height: 1 });
    expect([...small.data]).toEqual([4, 8, 12, 100, 100, 100]);
    const same = { data, width: 4, height: 2, channels: 3 as const };
    expect(shrinkToFit(same, 4)).toBe(same);
  });
});
