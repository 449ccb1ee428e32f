/**
 * Hostile images, generated in code: each class of upload that has blown up the isolate (or could), small on
 * the wire and expensive to decode naively. Used by the fuzz harness (`bench/fuzz.ts`), the load script
 * (`bench/load.ts`) and tests. Nothing here is read from ../shared; the generators only use node:zlib and
 * hand-written encoders, so the bytes are the same on every machine.
 */
import { deflateSync, constants as zlibConstants, createDeflate } from 'node:zlib';
import { zeroJpeg } from './hostile-jpeg.ts';
import { pngChunk } from './png-chunk-writer.ts';

/** What a fixed service must answer: one of these statuses, within the memory of the biggest legit photo. */
export interface HostileImage {
  /** class name, stable (used as a key in bench/load-results.json) */
  name: string;
  /** what makes it hostile, in a few words */
  what: string;
  contentType: 'image/jpeg' | 'image/png' | 'image/webp';
  bytes: Uint8Array<ArrayBuffer>;
  /** acceptable HTTP statuses once the decoders are fixed (200 when it is a valid if silly image) */
  expect: readonly number[];
}

// ---------------------------------------------------------------- bits and bytes

function concat(parts: (Uint8Array | number[])[]): Uint8Array<ArrayBuffer> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// ---------------------------------------------------------------- JPEG

/**
 * A progressive greyscale JPEG of `width` x `height` whose coefficients are all zero: one DC scan, then `acScans`
 * AC first scans (the same band 1..63 again and again, which libjpeg accepts with a warning), each a handful of
 * EOB runs of up to 32767 blocks. A naive progressive decoder keeps width*height coefficients (2 bytes each: ~98 MB at
 * 7000x7000) and walks every block once per scan (2,600 scans x 765,625 blocks = 2 billion block visits).
 */
export function progressiveScanFlood(width = 7000, height = 7000, acScans = 2600): Uint8Array<ArrayBuffer> {
  const ac = { comps: [0], ss: 1, se: 63, ah: 0, al: 0 };
  const scans = [{ comps: [0], ss: 0, se: 0, ah: 0, al: 0 }, ...new Array(acScans).fill(ac)];
  return zeroJpeg({ width, height, sampling: [[1, 1]], progressive: true, scans });
}

/** A small baseline greyscale JPEG (all-zero coefficients, so a flat grey), `width` x `height`. */
export function flatBaselineJpeg(width: number, height: number): Uint8Array<ArrayBuffer> {
  return zeroJpeg({ width, height, sampling: [[1, 1]], progressive: false, scans: [{ comps: [0], ss: 0, se: 63, ah: 0, al: 0 }] });
}

/**
 * A JPEG whose frame header claims `width` x `height` but whose scan holds a few blocks' worth of data: what
 * a decoder allocates for the claimed size is all it costs (expected 422: the data runs out).
 */
export function lyingSofJpeg(width = 7000, height = 7000): Uint8Array<ArrayBuffer> {
  const small = flatBaselineJpeg(64, 64);
  const out = small.slice();
  const sof = findMarker(out, 0xc0);
  out[sof + 5] = height >> 8;
  out[sof + 6] = height & 0xff;
  out[sof + 7] = width >> 8;
  out[sof + 8] = width & 0xff;
  return out;
}

/** Offset of the first 0xFF `marker` (its 0xFF byte) in a JPEG's header, -1 if none. */
export function findMarker(bytes: Uint8Array, marker: number): number {
  for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
  return -1;
}

// ---------------------------------------------------------------- PNG

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function ihdr(width: number, height: number, colourType = 2): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data[8] = 8;
  data[9] = colourType;
  return pngChunk('IHDR', data);
}

/** A PNG from raw (filtered) scanlines: 8-bit RGB, one IDAT. */
export function rgbPng(width: number, height: number, scanlines: Uint8Array): Uint8Array<ArrayBuffer> {
  return concat([PNG_SIGNATURE, ihdr(width, height), pngChunk('IDAT', deflateSync(scanlines, { level: 9 })), pngChunk('IEND', new Uint8Array(0))]);
}

/** zlib data of `bytes` zeros, deflated in pieces so the zeros never exist at once (~1 KB per MB). */
export async function deflatedZeros(bytes: number): Promise<Uint8Array> {
  const deflate = createDeflate({ level: 9, memLevel: 9, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const piece = Buffer.alloc(1 << 20);
  for (let left = bytes; left > 0; left -= piece.length) {
    const part = left >= piece.length ? piece : piece.subarray(0, left);
    if (!deflate.write(part)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat(chunks);
}

/**
 * A valid 64x64 PNG carrying an ancillary chunk (`iCCP` or `zTXt`) whose zlib data inflates to `inflated`
 * bytes (500 MB by default, ~500 KB on the wire). A decoder that inflates ancillary chunks allocates it all.
 */
export async function pngAncillaryBomb(type: 'iCCP' | 'zTXt', inflated = 500_000_000): Promise<Uint8Array<ArrayBuffer>> {
  const header = new TextEncoder().encode(type === 'iCCP' ? 'bomb\0\0' : 'Comment\0\0');
  const zlib = await deflatedZeros(inflated);
  const small = rgbPng(64, 64, new Uint8Array(64 * (64 * 3 + 1)));
  const chunk = pngChunk(type, concat([header, zlib]));
  // After IHDR (8 + 25 bytes): iCCP must come before IDAT.
  return concat([small.subarray(0, 33), chunk, small.subarray(33)]);
}

/** A valid `width` x `height` RGB PNG of zeros (filter 0): 147 MB of scanlines in ~143 KB of IDAT at 7000x7000. */
export async function zeroPng(width = 7000, height = 7000): Promise<Uint8Array<ArrayBuffer>> {
  const idat = await deflatedZeros(height * (width * 3 + 1));
  return concat([PNG_SIGNATURE, ihdr(width, height), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]);
}

/** A PNG whose IHDR claims `width` x `height` and whose IDAT holds one 64-pixel row (expected 422). */
export function lyingIhdrPng(width = 7000, height = 7000): Uint8Array<ArrayBuffer> {
  const idat = deflateSync(new Uint8Array(1 + 64 * 3));
  return concat([PNG_SIGNATURE, ihdr(width, height), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]);
}

/** A valid small PNG with every chunk's CRC flipped (expected 422 once CRCs are checked). */
export function badCrcPng(width = 256, height = 256): Uint8Array<ArrayBuffer> {
  const rows = new Uint8Array(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) for (let x = 0; x < width * 3; x++) rows[y * (width * 3 + 1) + 1 + x] = (x * 7 + y * 3) & 0xff;
  const png = rgbPng(width, height, rows);
  const view = new DataView(png.buffer);
  for (let pos = 8; pos + 12 <= png.length;) {
    const length = view.getUint32(pos);
    view.setUint32(pos + 8 + length, view.getUint32(pos + 8 + length) ^ 0xdeadbeef);
    pos += 12 + length;
  }
  return png;
}

// ---------------------------------------------------------------- WebP

/** Little-endian bit writer (VP8L reads bits from the least significant end). */
class LsbBitWriter {
  private readonly out: number[] = [];
  private acc = 0;
  private count = 0;

  write(value: number, bits: number): void {
    for (let i = 0; i < bits; i++) {
      this.acc |= ((value >>> i) & 1) << this.count;
      if (++this.count === 8) {
        this.out.push(this.acc);
        this.acc = 0;
        this.count = 0;
      }
    }
  }

  finish(): number[] {
    if (this.count > 0) this.out.push(this.acc);
    return this.out;
  }
}

function riff(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = concat([new TextEncoder().encode('WEBP'), ...chunks]);
  const out = concat([new TextEncoder().encode('RIFF'), [0, 0, 0, 0], body]);
  new DataView(out.buffer).setUint32(4, body.length, true);
  return out;
}

function riffChunk(type: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const padded = concat([new TextEncoder().encode(type), [0, 0, 0, 0], data, data.length % 2 ? [0] : []]);
  new DataView(padded.buffer).setUint32(4, data.length, true);
  return padded;
}

/**
 * The VP8L bitstream of a `width` x `height` image of one colour: no transforms, no colour cache, five "simple"
 * prefix codes of one symbol each, so every pixel costs zero bits. 7000x7000 is a dozen bytes that libwebp
 * decodes into 196 MB of RGBA.
 */
export function solidVp8l(width: number, height: number): Uint8Array<ArrayBuffer> {
  const bits = new LsbBitWriter();
  bits.write(0x2f, 8);
  bits.write(width - 1, 14);
  bits.write(height - 1, 14);
  bits.write(1, 1); // alpha used
  bits.write(0, 3); // version
  bits.write(0, 1); // no transform
  bits.write(0, 1); // no colour cache
  bits.write(0, 1); // no meta prefix codes
  // green(+length codes), red, blue, alpha, distance: simple code, one 8-bit symbol.
  for (const symbol of [0x80, 0x40, 0xc0, 0xff, 0]) {
    bits.write(1, 1);
    bits.write(0, 1);
    bits.write(1, 1);
    bits.write(symbol, 8);
  }
  return concat([bits.finish()]);
}

/** A lossless WebP of one colour claiming `width` x `height` (expected 413 or 200 within the decode budget). */
export function tinyLosslessWebp(width = 7000, height = 7000): Uint8Array<ArrayBuffer> {
  return riff([riffChunk('VP8L', solidVp8l(width, height))]);
}

/**
 * An extended WebP (VP8X) whose canvas is `canvas` x `canvas` while its VP8L image is `image` x `image`
 * (libwebp refuses the mismatch: expected 422, or 413 when the canvas is over the pixel limit).
 */
export function vp8xCanvasMismatch(canvas = 7000, image = 64): Uint8Array<ArrayBuffer> {
  const vp8x = new Uint8Array(10);
  vp8x[0] = 0x10; // alpha flag
  for (let i = 0; i < 3; i++) {
    vp8x[4 + i] = ((canvas - 1) >> (8 * i)) & 0xff;
    vp8x[7 + i] = ((canvas - 1) >> (8 * i)) & 0xff;
  }
  return riff([riffChunk('VP8X', vp8x), riffChunk('VP8L', solidVp8l(image, image))]);
}

/** The reverse lie: a VP8X canvas of 64x64 around a VP8L image of 7000x7000 (the probe sees the small one). */
export function vp8xSmallCanvasBigImage(): Uint8Array<ArrayBuffer> {
  return vp8xCanvasMismatch(64, 7000);
}

// ---------------------------------------------------------------- truncations

/** `bytes` cut to `fraction` of its length (at least 1 byte): expected 422. */
export function truncated(bytes: Uint8Array, fraction: number): Uint8Array<ArrayBuffer> {
  return bytes.slice(0, Math.max(1, Math.floor(bytes.length * fraction)));
}

// ---------------------------------------------------------------- the catalogue

/**
 * Every hostile class, generated (the PNG bombs deflate ~650 MB of zeros: ~2 s the first time; callers cache).
 * `legit` supplies real encoded photos to truncate (any JPEG, PNG and WebP).
 */
export async function hostileImages(legit: { jpeg: Uint8Array; png: Uint8Array; webp: Uint8Array }): Promise<HostileImage[]> {
  const ok413 = [200, 413] as const;
  return [
    { name: 'jpeg-scan-flood', what: 'progressive 7000x7000, 2,600 scans of zero coefficients', contentType: 'image/jpeg', bytes: progressiveScanFlood(), expect: [413, 422] },
    { name: 'jpeg-lying-sof', what: 'SOF claims 7000x7000, 64x64 of data', contentType: 'image/jpeg', bytes: lyingSofJpeg(), expect: [413, 422] },
    { name: 'jpeg-truncated', what: 'a photo cut at 40%', contentType: 'image/jpeg', bytes: truncated(legit.jpeg, 0.4), expect: [422] },
    { name: 'png-iccp-bomb', what: 'iCCP inflating to 500 MB', contentType: 'image/png', bytes: await pngAncillaryBomb('iCCP'), expect: [200, 413, 422] },
    { name: 'png-ztxt-bomb', what: 'zTXt inflating to 500 MB', contentType: 'image/png', bytes: await pngAncillaryBomb('zTXt'), expect: [200, 413, 422] },
    { name: 'png-zero-7000', what: 'valid 7000x7000 PNG of zeros (~143 KB)', contentType: 'image/png', bytes: await zeroPng(), expect: ok413 },
    { name: 'png-lying-ihdr', what: 'IHDR claims 7000x7000, one row of data', contentType: 'image/png', bytes: lyingIhdrPng(), expect: [413, 422] },
    { name: 'png-bad-crc', what: 'every chunk CRC wrong', contentType: 'image/png', bytes: badCrcPng(), expect: [422] },
    { name: 'png-truncated', what: 'a photo cut at 40%', contentType: 'image/png', bytes: truncated(legit.png, 0.4), expect: [422] },
    { name: 'webp-tiny-7000', what: 'lossless WebP, 7000x7000 in a few bytes', contentType: 'image/webp', bytes: tinyLosslessWebp(), expect: ok413 },
    { name: 'webp-vp8x-mismatch', what: 'VP8X canvas 7000x7000 around a 64x64 image', contentType: 'image/webp', bytes: vp8xCanvasMismatch(), expect: [413, 422] },
    { name: 'webp-vp8x-small-canvas', what: 'VP8X canvas 64x64 around a 7000x7000 image', contentType: 'image/webp', bytes: vp8xSmallCanvasBigImage(), expect: [413, 422] },
    { name: 'webp-truncated', what: 'a photo cut at 40%', contentType: 'image/webp', bytes: truncated(legit.webp, 0.4), expect: [422] },
  ];
}
