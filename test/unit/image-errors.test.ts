import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { TooLargeError, UndecodableImageError, UnsupportedMediaError } from '../../shared/errors.ts';
import { decodeImage } from '../../shared/image/decode-image.ts';
import { probeImage, sniffImageFormat } from '../../shared/image/probe-image.ts';
import { sharedFixture } from '../helpers/image-fixtures.ts';

const opts = { maxPixels: 50e6 };

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

// The smallest valid GIF: 1x1, one colour.
const GIF = new Uint8Array([
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
  0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0, 0x3b,
]);
// A lossless WebP header (RIFF/WEBP/VP8L) for a 300x200 image; the pixel data is irrelevant.
function webp(): Uint8Array {
  const b = new Uint8Array(30);
  b.set(new TextEncoder().encode('RIFF'), 0);
  b.set(new TextEncoder().encode('WEBPVP8L'), 8);
  b[16] = 10; // VP8L chunk size
  b[20] = 0x2f;
  const w = 300 - 1, h = 200 - 1;
  b[21] = w & 0xff;
  b[22] = ((w >> 8) & 0x3f) | ((h & 0x3) << 6);
  b[23] = (h >> 2) & 0xff;
  b[24] = (h >> 10) & 0x0f;
  return b;
}

describe('refusals', () => {
  it('returns 415 for a GIF, naming JPEG and PNG as accepted', () => {
    const error = thrown(() => decodeImage(GIF, opts));
    expect(error).toBeInstanceOf(UnsupportedMediaError);
    expect(error.message).toMatch(/GIF/);
    expect(error.message).toMatch(/jpeg.*png/i);
  });

  it('returns 415 for WebP while no WebP codec is installed (the adapters install one)', () => {
    const bytes = webp();
    expect(sniffImageFormat(bytes)).toBe('webp');
    expect(probeImage(bytes)).toMatchObject({ format: 'webp', width: 300, height: 200 });
    const error = thrown(() => decodeImage(bytes, opts));
    expect(error).toBeInstanceOf(UnsupportedMediaError);
    expect((error as UnsupportedMediaError).kind).toBe('unsupported_media');
    expect(error.message).toMatch(/WebP cannot be decoded here.*jpeg.*png/i);
  });

  it('returns 415 for random bytes and for an empty body', () => {
    let seed = 7;
    const random = new Uint8Array(4096).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    random[0] = 0x12;
    expect(thrown(() => decodeImage(random, opts))).toBeInstanceOf(UnsupportedMediaError);
    expect(thrown(() => decodeImage(new Uint8Array(0), opts))).toBeInstanceOf(UnsupportedMediaError);
  });

  it('returns 422 for JPEGs truncated anywhere, and never hangs', () => {
    const photo = sharedFixture('images/hot_dog.jpg');
    for (const fraction of [0.001, 0.01, 0.1, 0.5, 0.9, 0.99]) {
      const cut = photo.subarray(0, Math.floor(photo.length * fraction));
      const error = thrown(() => decodeImage(cut, opts));
      expect(error, `cut at ${fraction}`).toBeInstanceOf(UndecodableImageError);
    }
  });

  it('returns 422, not a crash, for a JPEG whose image data is garbage', () => {
    const photo = sharedFixture('images/hot_dog.jpg').slice();
    let seed = 1;
    for (let i = Math.floor(photo.length / 3); i < photo.length - 2; i++) photo[i] = (seed = (seed * 69069 + 1) >>> 0) >>> 24;
    const start = performance.now();
    const error = thrown(() => decodeImage(photo, opts));
    expect(error).toBeInstanceOf(UndecodableImageError);
    expect(performance.now() - start).toBeLessThan(5000);
  });

  it('returns 422 for a truncated PNG', () => {
    const png = encode({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(9), channels: 3, depth: 8 });
    for (const length of [20, 40, png.length - 20]) {
      expect(thrown(() => decodeImage(png.subarray(0, length), opts)), `length ${length}`).toBeInstanceOf(UndecodableImageError);
    }
  });

  it('returns 413 for a JPEG header claiming 40000x30000, before decoding anything', () => {
    const photo = sharedFixture('images/hot_dog.jpg').slice();
    // Patch the frame header (SOF0) size fields.
    let p = 2;
    while (!(photo[p + 1] >= 0xc0 && photo[p + 1] <= 0xc2)) p += 2 + ((photo[p + 2] << 8) | photo[p + 3]);
    photo.set([30000 >> 8, 30000 & 255, 40000 >> 8, 40000 & 255], p + 5);
    const start = performance.now();
    const error = thrown(() => decodeImage(photo, opts));
    expect(performance.now() - start).toBeLessThan(50);
    expect(error).toBeInstanceOf(TooLargeError);
    expect(error.message).toBe('image is 40000x30000 = 1200 MP; the limit is 50 MP');
  });

  it('returns 413 for a PNG header claiming 40000x30000, before inflating', () => {
    const png = encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3), channels: 3, depth: 8 }).slice();
    new DataView(png.buffer).setUint32(16, 40000);
    new DataView(png.buffer).setUint32(20, 30000);
    const error = thrown(() => decodeImage(png, opts));
    expect(error).toBeInstanceOf(TooLargeError);
    expect(error.message).toMatch(/40000x30000 = 1200 MP; the limit is 50 MP/);
  });

  it('returns 415 for arithmetic-coded and 12-bit JPEGs', () => {
    const photo = sharedFixture('images/hot_dog.jpg').slice();
    let p = 2;
    while (!(photo[p + 1] >= 0xc0 && photo[p + 1] <= 0xc2)) p += 2 + ((photo[p + 2] << 8) | photo[p + 3]);
    const arithmetic = photo.slice();
    arithmetic[p + 1] = 0xc9;
    expect(thrown(() => decodeImage(arithmetic, opts)).message).toMatch(/arithmetic-coded JPEG is not supported/);
    const twelve = photo.slice();
    twelve[p + 4] = 12;
    expect(thrown(() => decodeImage(twelve, opts))).toBeInstanceOf(UnsupportedMediaError);
  });
});
