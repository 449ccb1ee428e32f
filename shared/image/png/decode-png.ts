import { decode } from 'fast-png';
import { UndecodableImageError } from '../../errors.ts';
import { overWhite } from '../alpha.ts';

/**
 * Decodes a PNG (any bit depth 1-16; grey, grey+alpha, RGB, RGBA, palette with or without tRNS,
 * interlaced or not) to interleaved 8-bit RGB. Alpha, including palette and colour-key transparency,
 * is composited over white. 16-bit samples are reduced to 8 bits with rounding.
 * Throws UndecodableImageError when the data is truncated or corrupt.
 */
export function decodePng(bytes: Uint8Array): { data: Uint8Array; width: number; height: number } {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (error) {
    throw new UndecodableImageError(`truncated or corrupt PNG: ${(error as Error).message}`);
  }
  const { width, height, depth, channels } = png;
  const count = width * height;
  const samples = unpackSamples(png.data, width, height, channels, depth);
  if (samples.length < count * channels) throw new UndecodableImageError('truncated PNG: fewer pixels than the header declares');
  const out = new Uint8Array(count * 3);
  // Transparent areas become white (see overWhite).
  if (png.palette) {
    const palette = png.palette;
    for (let i = 0, o = 0; i < count; i++, o += 3) {
      const entry = palette[samples[i]];
      if (!entry) throw new UndecodableImageError(`corrupt PNG: palette index ${samples[i]} out of range`);
      const a = entry.length > 3 ? entry[3] : 255;
      out[o] = over(entry[0], a);
      out[o + 1] = over(entry[1], a);
      out[o + 2] = over(entry[2], a);
    }
    return { data: out, width, height };
  }
  const max = (1 << depth) - 1;
  const to8 = depth === 8 ? null : (v: number): number => Math.round((v * 255) / max);
  const key = png.transparency && png.transparency.length > 0 ? png.transparency : null;
  for (let i = 0, s = 0, o = 0; i < count; i++, o += 3, s += channels) {
    let r: number, g: number, b: number, a: number;
    if (channels <= 2) {
      r = g = b = samples[s];
      a = channels === 2 ? samples[s + 1] : max;
      if (key && samples[s] === key[0]) a = 0;
    } else {
      r = samples[s]; g = samples[s + 1]; b = samples[s + 2];
      a = channels === 4 ? samples[s + 3] : max;
      if (key && key.length >= 3 && r === key[0] && g === key[1] && b === key[2]) a = 0;
    }
    if (to8) {
      r = to8(r); g = to8(g); b = to8(b); a = to8(a);
    }
    out[o] = over(r, a);
    out[o + 1] = over(g, a);
    out[o + 2] = over(b, a);
  }
  return { data: out, width, height };
}

const over = overWhite;

/** fast-png leaves samples of 1, 2 and 4 bits packed, rows padded to a byte; spread them out. */
function unpackSamples(data: ArrayLike<number>, width: number, height: number, channels: number, depth: number): ArrayLike<number> {
  if (depth >= 8) return data;
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const out = new Uint8Array(perRow * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      out[y * perRow + i] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}
