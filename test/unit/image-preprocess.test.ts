import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../shared/image/image-types.ts';
import { toModelInput } from '../../shared/image/preprocess.ts';

const target = { height: 224, width: 224, pixelScale: 1 / 128, pixelZeroPoint: 128 };

function solid(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { data, width, height, channels: 3 };
}

describe('toModelInput', () => {
  it('returns HWC float32 of height*width*3 within the normalised range', () => {
    const img = solid(640, 480, [0, 0, 0]);
    for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 131) & 255;
    const out = toModelInput(img, target);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(224 * 224 * 3);
    for (const v of out) {
      if (!(v >= -1 && v <= 127 / 128 + 1e-6)) throw new Error(`value ${v} out of range`);
    }
  });

  it.each([[1000, 700], [100, 60], [224, 224], [3, 2]])('maps a constant %ix%i image to the constant normalised value', (w, h) => {
    const out = toModelInput(solid(w, h, [200, 100, 0]), target);
    const want = [72 / 128, -28 / 128, -1];
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - want[i % 3]));
    expect(worst).toBeLessThan(1e-5);
  });

  it('centre-crops: only the middle square of a wide image survives', () => {
    // 300x100: red 100-pixel bands left and right, green in the middle; a 100x100 target keeps only green.
    const img = solid(300, 100, [255, 0, 0]);
    for (let y = 0; y < 100; y++) for (let x = 100; x < 200; x++) img.data.set([0, 255, 0], (y * 300 + x) * 3);
    const out = toModelInput(img, { height: 100, width: 100, pixelScale: 1, pixelZeroPoint: 0 });
    const wrong = out.filter((v, i) => v !== [0, 255, 0][i % 3]).length;
    expect(wrong).toBe(0);
  });

  it('area-averages when shrinking: a 2x2 checkerboard becomes its mean', () => {
    const img = solid(448, 448, [0, 0, 0]);
    for (let y = 0; y < 448; y++) for (let x = 0; x < 448; x++) if ((x + y) & 1) img.data.set([255, 255, 255], (y * 448 + x) * 3);
    const out = toModelInput(img, { ...target, pixelScale: 1, pixelZeroPoint: 0 });
    let worst = 0;
    for (const v of out) worst = Math.max(worst, Math.abs(v - 127.5));
    expect(worst).toBeLessThan(1e-3);
  });

  it('resizes the shorter side and keeps vertical position: a tall image crops top and bottom', () => {
    // 100x400 with the top half black and bottom half white; a 50x50 target sees rows 150..250 of the
    // source, so its top half is black and bottom half white.
    const img = solid(100, 400, [255, 255, 255]);
    img.data.fill(0, 0, 100 * 200 * 3);
    const out = toModelInput(img, { height: 50, width: 50, pixelScale: 1, pixelZeroPoint: 0 });
    expect(out[(10 * 50 + 25) * 3]).toBeCloseTo(0, 3);
    expect(out[(40 * 50 + 25) * 3]).toBeCloseTo(255, 3);
  });

  it('interpolates bilinearly when enlarging', () => {
    const img: RgbImage = { data: new Uint8Array([0, 0, 0, 100, 100, 100]), width: 2, height: 1, channels: 3 };
    const out = toModelInput(img, { height: 4, width: 8, pixelScale: 1, pixelZeroPoint: 0 });
    const row = Array.from({ length: 8 }, (_, x) => out[(1 * 8 + x) * 3]);
    // Scale 4: centres of outputs 0..7 map to source -0.375, -0.125, 0.125, 0.375, 0.625, 0.875, 1.125, 1.375.
    expect(row.map((v) => Math.round(v * 100) / 100)).toEqual([0, 0, 12.5, 37.5, 62.5, 87.5, 100, 100]);
  });
});
