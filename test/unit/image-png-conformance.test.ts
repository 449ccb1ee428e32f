import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng, type PngDecodeStats } from '../../shared/image/png/decode-png.ts';
import { encodeTestPng, type PngSpec } from '../helpers/png-encoder.ts';

const DEPTHS = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] } as const;
const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The reference: what the spec says each pixel is, composited over white, written independently of the decoder. */
function expectedRgb(spec: PngSpec): number[] {
  const ch = CHANNELS[spec.colourType];
  const max = 2 ** spec.depth - 1;
  const to8 = (v: number) => Math.round((v * 255) / max);
  const over = (v: number, a: number) => (a === 255 ? v : Math.round((v * a + 255 * (255 - a)) / 255));
  const trns = spec.trns;
  const key = trns && spec.colourType !== 3 ? Array.from({ length: trns.length / 2 }, (_, i) => (trns[2 * i] << 8) | trns[2 * i + 1]) : null;
  const out: number[] = [];
  for (let i = 0; i < spec.width * spec.height; i++) {
    const s = Array.from(spec.samples).slice(i * ch, i * ch + ch);
    let rgb: number[], a: number;
    if (spec.colourType === 3) {
      rgb = spec.palette![s[0]];
      a = trns && s[0] < trns.length ? trns[s[0]] : 255;
    } else {
      const colour = ch >= 3 ? s.slice(0, 3) : [s[0], s[0], s[0]];
      const keyed = key && (ch === 1 ? s[0] === key[0] : ch === 3 && colour.every((v, k) => v === key[k]));
      rgb = colour.map(to8);
      a = ch === 2 || ch === 4 ? to8(s[ch - 1]) : keyed ? 0 : 255;
    }
    out.push(...rgb.map((v) => over(v, a)));
  }
  return out;
}

function makeSpec(colourType: 0 | 2 | 3 | 4 | 6, depth: number, interlaced: boolean, seed: number, width = 13, height = 11): PngSpec {
  const rnd = random(seed);
  const ch = CHANNELS[colourType];
  const max = 2 ** depth - 1;
  const paletteSize = colourType === 3 ? Math.min(max + 1, 20) : 0;
  const samples = Array.from({ length: width * height * ch }, () => Math.floor(rnd() * ((colourType === 3 ? paletteSize : max + 1))));
  const spec: PngSpec = { width, height, colourType, depth: depth as PngSpec['depth'], interlaced, samples };
  if (colourType === 3) spec.palette = Array.from({ length: paletteSize }, () => [0, 0, 0].map(() => Math.floor(rnd() * 256)));
  return spec;
}

describe('PNG conformance (generated)', () => {
  for (const [type, depths] of Object.entries(DEPTHS)) {
    for (const depth of depths) {
      for (const interlaced of [false, true]) {
        it(`decodes colour type ${type} at ${depth} bits${interlaced ? ', Adam7' : ''} exactly`, () => {
          const spec = makeSpec(Number(type) as PngSpec['colourType'], depth, interlaced, depth * 10 + Number(type));
          const stats: PngDecodeStats = { inflatedBytes: 0, compressedBytesInflated: 0, expectedBytes: 0, rows: 0, pixels: 0, allocatedBytes: 0 };
          const out = decodePng(encodeTestPng(spec), { stats });
          expect([out.width, out.height]).toEqual([13, 11]);
          expect(Array.from(out.data)).toEqual(expectedRgb(spec));
          expect(stats.pixels).toBe(13 * 11);
          expect(stats.inflatedBytes).toBe(stats.expectedBytes);
        });
      }
    }
  }

  it('applies palette tRNS, grey and RGB colour keys (8 and 16 bits, interlaced too)', () => {
    const pal = makeSpec(3, 4, true, 7);
    pal.trns = Uint8Array.of(0, 128, 255, 10);
    const grey = makeSpec(0, 2, true, 8);
    grey.trns = Uint8Array.of(0, 1);
    const grey16 = makeSpec(0, 16, false, 9, 3, 2);
    grey16.samples = [0, 513, 65535, 513, 7, 8];
    grey16.trns = Uint8Array.of(2, 1);
    const rgb = makeSpec(2, 8, false, 10, 2, 2);
    rgb.samples = [1, 2, 3, 4, 5, 6, 1, 2, 3, 1, 2, 4];
    rgb.trns = Uint8Array.of(0, 1, 0, 2, 0, 3);
    const rgb16 = makeSpec(2, 16, true, 11, 2, 1);
    rgb16.samples = [1000, 2000, 3000, 1000, 2000, 3001];
    rgb16.trns = Uint8Array.of(0x03, 0xe8, 0x07, 0xd0, 0x0b, 0xb8);
    for (const spec of [pal, grey, grey16, rgb, rgb16]) {
      expect(Array.from(decodePng(encodeTestPng(spec)).data)).toEqual(expectedRgb(spec));
    }
    expect(Array.from(decodePng(encodeTestPng(rgb)).data.subarray(0, 3))).toEqual([255, 255, 255]);
  });

  it('ignores a suggested palette, sPLT, gAMA, text and iCCP chunks and reads split and zero-length IDATs', () => {
    const spec = makeSpec(6, 8, true, 12, 40, 30);
    spec.palette = [[1, 2, 3], [4, 5, 6]];
    spec.before = [['gAMA', Uint8Array.of(0, 0, 0xb1, 0x8f)], ['sPLT', Uint8Array.of(65, 0, 8, 1, 2, 3, 4, 0, 5)],
      ['tEXt', new TextEncoder().encode('Comment\0hello')], ['iCCP', Uint8Array.of(65, 0, 0, 1, 2, 3)]];
    spec.idatSize = 7;
    expect(Array.from(decodePng(encodeTestPng(spec)).data)).toEqual(expectedRgb(spec));
  });

  it('agrees with ImageMagick on a 16-bit RGBA Adam7 image', () => {
    const spec = makeSpec(6, 16, true, 13, 9, 7);
    const dir = mkdtempSync(join(tmpdir(), 'png-'));
    writeFileSync(join(dir, 'x.png'), encodeTestPng(spec));
    const magick = execFileSync('convert', [join(dir, 'x.png'), '-background', 'white', '-alpha', 'remove', '-depth', '8', 'rgb:-']);
    const ours = decodePng(encodeTestPng(spec)).data;
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - magick[i]));
    expect(magick.length).toBe(ours.length);
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('box-averages into the reduced target while decoding, Adam7 into the same cells', () => {
    for (const interlaced of [false, true]) {
      const spec = makeSpec(2, 8, interlaced, 14, 50, 35);
      const full = decodePng(encodeTestPng(spec)).data;
      const stats: PngDecodeStats = { inflatedBytes: 0, compressedBytesInflated: 0, expectedBytes: 0, rows: 0, pixels: 0, allocatedBytes: 0 };
      const small = decodePng(encodeTestPng(spec), { minSide: 10, stats });
      expect([small.width, small.height]).toEqual([17, 12]);
      for (const [cx, cy] of [[0, 0], [16, 11], [5, 7]]) {
        for (let c = 0; c < 3; c++) {
          let sum = 0, n = 0;
          for (let y = cy * 3; y < Math.min(35, cy * 3 + 3); y++) {
            for (let x = cx * 3; x < Math.min(50, cx * 3 + 3); x++) { sum += full[(y * 50 + x) * 3 + c]; n++; }
          }
          expect(small.data[(cy * 17 + cx) * 3 + c]).toBe(Math.round(sum / n));
        }
      }
      expect(stats.pixels).toBe(50 * 35);
    }
  });
});
