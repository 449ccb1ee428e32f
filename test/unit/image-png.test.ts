import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../shared/image/decode-image.ts';
import { probeImage } from '../../shared/image/probe-image.ts';

const opts = { maxPixels: 1e6 };
const px = (img: { data: Uint8Array; width: number }, x: number, y: number): number[] =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('PNG decode', () => {
  it('decodes 8-bit RGB exactly', () => {
    const data = new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    const img = decodeImage(encode({ width: 2, height: 2, data, channels: 3, depth: 8 }), opts);
    expect(img).toMatchObject({ width: 2, height: 2, channels: 3 });
    expect(Array.from(img.data)).toEqual(Array.from(data));
  });

  it('composites RGBA over white (opaque, half and fully transparent pixels)', () => {
    const data = new Uint8Array([200, 0, 0, 255, 0, 0, 0, 0, 0, 0, 200, 128]);
    const img = decodeImage(encode({ width: 3, height: 1, data, channels: 4, depth: 8 }), opts);
    expect(px(img, 0, 0)).toEqual([200, 0, 0]);
    expect(px(img, 1, 0)).toEqual([255, 255, 255]);
    // 128/255 of blue 200 over white: (200*128 + 255*127) / 255 = 227, (255*127)/255 = 127
    expect(px(img, 2, 0)).toEqual([127, 127, 227]);
  });

  it('decodes grey and grey+alpha', () => {
    const grey = decodeImage(encode({ width: 2, height: 1, data: new Uint8Array([0, 77]), channels: 1, depth: 8 }), opts);
    expect(Array.from(grey.data)).toEqual([0, 0, 0, 77, 77, 77]);
    const ga = decodeImage(encode({ width: 2, height: 1, data: new Uint8Array([0, 255, 0, 0]), channels: 2, depth: 8 }), opts);
    expect(Array.from(ga.data)).toEqual([0, 0, 0, 255, 255, 255]);
  });

  it('reduces 16-bit samples to 8 bits', () => {
    const data = new Uint16Array([65535, 0, 32896, 257, 514, 771]);
    const img = decodeImage(encode({ width: 2, height: 1, data, channels: 3, depth: 16 }), opts);
    expect(Array.from(img.data)).toEqual([255, 0, 128, 1, 2, 3]);
  });

  it('decodes 16-bit RGBA over white', () => {
    const data = new Uint16Array([65535, 0, 0, 0]);
    const img = decodeImage(encode({ width: 1, height: 1, data, channels: 4, depth: 16 }), opts);
    expect(Array.from(img.data)).toEqual([255, 255, 255]);
  });

  it('decodes a palette image, with tRNS alpha over white', () => {
    // 2-bit indices, 3 pixels: entries 2, 0, 1 -> red, transparent blue, half-transparent green. The
    // translucent entries come first because fast-png's encoder writes tRNS correctly only that way.
    const palette = [[0, 0, 255, 0], [0, 255, 0, 128], [255, 0, 0, 255]];
    const data = new Uint8Array([0b10000100]);
    const bytes = encode({ width: 3, height: 1, data, channels: 1, depth: 2, palette });
    expect(probeImage(bytes)).toMatchObject({ format: 'png', width: 3, height: 1 });
    const img = decodeImage(bytes, opts);
    expect(px(img, 0, 0)).toEqual([255, 0, 0]);
    expect(px(img, 1, 0)).toEqual([255, 255, 255]);
    expect(px(img, 2, 0)).toEqual([127, 255, 127]);
  });

  it('scales 1-bit grey to 0 and 255', () => {
    const img = decodeImage(encode({ width: 9, height: 1, data: new Uint8Array([0b10100000, 0b10000000]), channels: 1, depth: 1 }), opts);
    expect(Array.from(img.data.filter((_, i) => i % 3 === 0))).toEqual([255, 0, 255, 0, 0, 0, 0, 0, 255]);
  });

  it('decodes an Adam7-interlaced PNG like the plain one', () => {
    const data = new Uint8Array(13 * 7 * 3).map((_, i) => (i * 37) & 255);
    const plain = decodeImage(encode({ width: 13, height: 7, data, channels: 3, depth: 8 }), opts);
    const interlaced = decodeImage(encode({ width: 13, height: 7, data, channels: 3, depth: 8 }, { interlace: 'Adam7' }), opts);
    expect(Array.from(interlaced.data)).toEqual(Array.from(plain.data));
  });
});
