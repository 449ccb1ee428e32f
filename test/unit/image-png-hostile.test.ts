import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EdgeheadError, UndecodableImageError } from '../../shared/errors.ts';
import { decodeImage } from '../../shared/image/decode-image.ts';
import { decodePng, type PngDecodeStats } from '../../shared/image/png/decode-png.ts';
import { concat, encodeTestPng, ihdr, PNG_SIGNATURE, pngChunk, pngScanlines, type PngSpec } from '../helpers/png-encoder.ts';
import { losslessWebpHeader, vp8xWebp } from '../helpers/webp-headers.ts';

const newStats = (): PngDecodeStats => ({ inflatedBytes: 0, compressedBytesInflated: 0, expectedBytes: 0, rows: 0, pixels: 0, allocatedBytes: 0 });
const small: PngSpec = { width: 4, height: 3, colourType: 2, depth: 8, samples: Array.from({ length: 36 }, (_, i) => i * 7) };
const zeros50M = new Uint8Array(deflateSync(new Uint8Array(50_000_000)));

function refused(bytes: Uint8Array, message: RegExp, stats = newStats()): PngDecodeStats {
  expect(() => decodePng(bytes, { stats })).toThrow(UndecodableImageError);
  expect(() => decodePng(bytes)).toThrow(message);
  return stats;
}

describe('PNG hostile input', () => {
  for (const [type, prefix] of [['iCCP', 'icc\0\0'], ['zTXt', 'Comment\0\0'], ['iTXt', 'Comment\0\x01\0\0\0']] as const) {
    it(`skips a ${type} chunk inflating to 50 MB without inflating it`, () => {
      const bomb = concat([new TextEncoder().encode(prefix), zeros50M]);
      const stats = newStats();
      const out = decodePng(encodeTestPng({ ...small, before: [[type, bomb]] }), { stats });
      expect(out.data.length).toBe(36);
      expect(stats.inflatedBytes).toBe(3 * (1 + 12));
    });
  }

  it('decodes a zero-filled 7000x7000 PNG into the reduced target only', () => {
    const scan = new Uint8Array(7000 * 7001);
    const png = concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(7000, 7000, 8, 0)), pngChunk('IDAT', deflateSync(scan)), pngChunk('IEND', new Uint8Array(0))]);
    const stats = newStats();
    const out = decodePng(png, { minSide: 224, stats });
    expect([out.width, out.height]).toEqual([226, 226]);
    expect(out.data.every((v) => v === 0)).toBe(true);
    expect(stats.pixels).toBe(49_000_000);
    expect(stats.rows).toBe(7000);
    expect(stats.inflatedBytes).toBe(7000 * 7001);
    // output 226*226*3 + its 32-bit sums + two rows: ~0.9 MB where the full image is 147 MB
    expect(stats.allocatedBytes).toBeLessThan(226 * 226 * 3 * 5 + 4 * 7001 + 21000);
  });

  it('refuses a 7000x7000 header with ten rows of data after inflating only those', () => {
    const data = deflateSync(new Uint8Array(10 * (1 + 7000 * 3)));
    const png = concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(7000, 7000, 8, 2)), pngChunk('IDAT', data), pngChunk('IEND', new Uint8Array(0))]);
    const stats = refused(png, /truncated PNG: the image data inflates to 210010 bytes/);
    expect(stats.inflatedBytes).toBe(210_010);
  });

  it('ignores IDAT data repeated after a complete stream, inflating none of it past the last row (fuzz case 6067: 4.5 s before)', () => {
    const stream = deflateSync(pngScanlines(small));
    const repeated = Array.from({ length: 8000 }, () => pngChunk('IDAT', stream));
    const png = concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(4, 3, 8, 2)), ...repeated, pngChunk('IEND', new Uint8Array(0))]);
    const stats = newStats();
    const out = decodePng(png, { stats });
    expect(Array.from(out.data)).toEqual(Array.from(decodePng(encodeTestPng(small)).data));
    expect(stats.inflatedBytes).toBe(stats.expectedBytes);
    // The first stream, then at most 64 KiB of the copies after it (which hold far more than that).
    expect(stats.compressedBytesInflated).toBeLessThanOrEqual(stream.length + (64 << 10));
    expect(8000 * stream.length).toBeGreaterThan(2 * (stream.length + (64 << 10)));
  });

  it('stops inflating data longer than the header declares', () => {
    const png = concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(10, 10, 8, 0)), pngChunk('IDAT', zeros50M), pngChunk('IEND', new Uint8Array(0))]);
    const stats = refused(png, /image data longer than its header declares/);
    // at most one 1 KiB slice past the end, at deflate's ~1032:1
    expect(stats.inflatedBytes).toBeLessThan(110 + 1024 * 1100);
  });

  it('refuses a bad CRC in a critical or an ancillary chunk', () => {
    const good = encodeTestPng({ ...small, before: [['tEXt', new TextEncoder().encode('a\0b')]] });
    for (const [offset, type] of [[20, 'IHDR'], [good.length - 20, 'IDAT'], [8 + 25 + 9, 'tEXt']] as const) {
      const bad = good.slice();
      bad[offset] ^= 1;
      refused(bad, new RegExp(`CRC mismatch in chunk ${type}`));
    }
  });

  it('answers every truncation with a 422', () => {
    const png = encodeTestPng({ ...small, interlaced: true, idatSize: 5 });
    for (let n = 0; n < png.length; n++) {
      try {
        decodePng(png.subarray(0, n));
        throw new Error(`accepted ${n} bytes`);
      } catch (error) {
        expect(error, `cut at ${n}`).toBeInstanceOf(UndecodableImageError);
      }
    }
  });

  it('refuses structural errors with a precise message', () => {
    const idat = pngChunk('IDAT', deflateSync(pngScanlines({ ...small, filter: 0 })));
    const header = pngChunk('IHDR', ihdr(4, 3, 8, 2));
    const end = pngChunk('IEND', new Uint8Array(0));
    const cases: [Uint8Array, RegExp][] = [
      [concat([PNG_SIGNATURE, pngChunk('gAMA', new Uint8Array(4)), header, idat, end]), /first chunk is gAMA/],
      [concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(4, 3, 8, 2).subarray(0, 12)), idat, end]), /IHDR is 12 bytes/],
      [concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(4, 3, 4, 2)), idat, end]), /bit depth 4 with colour type 2/],
      [concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(4, 3, 8, 5)), idat, end]), /colour type 5/],
      [concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(4, 3, 8, 3)), idat, end]), /without a PLTE/],
      [concat([PNG_SIGNATURE, header, idat, pngChunk('PLTE', new Uint8Array(6)), end]), /PLTE after the image data/],
      [concat([PNG_SIGNATURE, header, pngChunk('ABCD', new Uint8Array(1)), idat, end]), /unknown critical chunk ABCD/],
      [concat([PNG_SIGNATURE, header, idat, pngChunk('tEXt', new Uint8Array(2)), idat, end]), /not consecutive/],
      [concat([PNG_SIGNATURE, header, idat]), /without an IEND/],
      [concat([PNG_SIGNATURE, header, end]), /no image data/],
      [concat([PNG_SIGNATURE, header, pngChunk('IDAT', Uint8Array.of(0x78, 0x9c, 0xff, 0xff)), end]), /does not inflate/],
      [encodeTestPng({ ...small, idat: deflateSync(Uint8Array.from(pngScanlines({ ...small, filter: 0 }), (v, i) => (i === 0 ? 7 : v))) }), /row filter type 7/],
      [encodeTestPng({ width: 2, height: 1, colourType: 3, depth: 8, samples: [0, 2], palette: [[1, 2, 3], [4, 5, 6]] }), /palette index 2 but the palette has 2/],
    ];
    for (const [bytes, message] of cases) refused(bytes, message);
  });
});

describe('WebP hostile input', () => {
  it('refuses a 7000x7000 lossless WebP with 413 before any codec runs', () => {
    const webp = losslessWebpHeader(7000, 7000);
    expect(webp.length).toBeLessThan(40);
    // No codec is installed in this process: reaching it would be a 415, so the 413 proves it never ran.
    try {
      decodeImage(webp, { maxPixels: 50_000_000 });
      throw new Error('accepted');
    } catch (error) {
      expect((error as EdgeheadError).kind).toBe('too_large');
      expect((error as EdgeheadError).code).toBe('webp_too_large');
      expect((error as Error).message).toMatch(/WebP is 7000x7000 = 49 MP; .* its limit is 2 MP; send JPEG or PNG/);
    }
  });

  it('refuses a VP8X canvas that disagrees with its frame, and reads the frame size through VP8X', () => {
    expect(() => decodeImage(vp8xWebp(100, 100, losslessWebpHeader(7000, 7000)), { maxPixels: 50_000_000 })).toThrow(/VP8X canvas says 100x100 but its frame is 7000x7000/);
    expect(() => decodeImage(vp8xWebp(7000, 7000, losslessWebpHeader(7000, 7000)), { maxPixels: 50_000_000 })).toThrow(/WebP is 7000x7000/);
  });
});
