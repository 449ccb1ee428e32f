import { concat } from './png-chunk-writer.ts';

function riff(chunks: Uint8Array): Uint8Array {
  const head = new Uint8Array(12);
  head.set(new TextEncoder().encode('RIFF'), 0);
  new DataView(head.buffer).setUint32(4, chunks.length + 4, true);
  head.set(new TextEncoder().encode('WEBP'), 8);
  return concat([head, chunks]);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  out.set(new TextEncoder().encode(type), 0);
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

/** A lossless WebP whose VP8L header declares width x height, followed by a few bytes of (meaningless) bitstream. */
export function losslessWebpHeader(width: number, height: number): Uint8Array {
  const bits = (width - 1) | ((height - 1) << 14);
  const data = Uint8Array.of(0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >>> 24) & 0x0f, 0, 0, 0);
  return riff(chunk('VP8L', data));
}

/** Wraps a simple WebP's frame chunk in a VP8X container with the given canvas. */
export function vp8xWebp(width: number, height: number, simple: Uint8Array): Uint8Array {
  const x = new Uint8Array(10);
  const w = width - 1, h = height - 1;
  x.set([w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], 4);
  return riff(concat([chunk('VP8X', x), simple.subarray(12)]));
}
