import { describe, expect, it } from 'vitest';
import { DEFAULT_JPEG_LIMITS } from '../../shared/config.ts';
import { UndecodableImageError } from '../../shared/errors.ts';
import { decodeJpegPlanes, emptyJpegStats, type JpegScale } from '../../shared/image/jpeg/decode-jpeg.ts';
import { scanFloodJpeg, zeroJpeg } from '../helpers/hostile-jpeg.ts';
import { generated, run, sharedFixture } from '../helpers/image-fixtures.ts';

function refusal(bytes: Uint8Array, scale: JpegScale, stats = emptyJpegStats()): UndecodableImageError {
  try {
    decodeJpegPlanes(bytes, scale, { compactChroma: true, stats });
  } catch (error) {
    expect(error).toBeInstanceOf(UndecodableImageError);
    return error as UndecodableImageError;
  }
  throw new Error('expected a refusal');
}

// 7000x7000 4:2:0: 875x875 luma blocks (876x876 with MCU padding) and 438x438 per chroma component.
const FRAME_BLOCKS = 876 * 876 + 2 * 438 * 438;
const DC_VISITS = 876 * 876 + 2 * 438 * 438;

describe('hostile JPEGs', () => {
  it('refuses the 2,647-scan all-zero 7000x7000 flood with too_many_scans, having decoded only its DC scan', () => {
    const flood = scanFloodJpeg();
    expect(flood.length).toBeLessThan(300_000);
    const stats = emptyJpegStats();
    const error = refusal(flood, 1, stats);
    expect(error.code).toBe('too_many_scans');
    expect(error.kind).toBe('undecodable');
    expect(error.message).toBe('JPEG has more than 500 scans; at most 500 are accepted');
    expect(stats).toEqual({ scans: 501, scansDecoded: 1, scansSkipped: 499, blockVisits: DC_VISITS, coefficientBytes: 2 * FRAME_BLOCKS });
  });

  it('decodes a 400-scan flood at 1/8 with the DC scan as its only Huffman work and DC-only coefficients', () => {
    const stats = emptyJpegStats();
    const planes = decodeJpegPlanes(scanFloodJpeg(7000, 7000, 400), 1, { compactChroma: true, stats });
    expect([planes.width, planes.height]).toEqual([875, 875]);
    expect(planes.planes[0].data[1234]).toBe(128);
    expect(stats).toEqual({ scans: 400, scansDecoded: 1, scansSkipped: 399, blockVisits: DC_VISITS, coefficientBytes: 2 * FRAME_BLOCKS });
  });

  it('refuses a 400-scan flood at 4/8 once its decoded scans visit each block more than 24 times', () => {
    const stats = emptyJpegStats();
    const error = refusal(scanFloodJpeg(512, 512, 400), 4, stats);
    expect(error.code).toBe('decode_budget_exceeded');
    const frameBlocks = 64 * 64 + 2 * 32 * 32;
    expect(stats.blockVisits).toBeLessThanOrEqual(DEFAULT_JPEG_LIMITS.maxBlockVisitsPerBlock * frameBlocks);
    expect(stats.blockVisits).toBeGreaterThan((DEFAULT_JPEG_LIMITS.maxBlockVisitsPerBlock - 1) * frameBlocks);
  });

  it('honours limits passed in', () => {
    const limits = { ...DEFAULT_JPEG_LIMITS, maxScans: 10 };
    expect(() => decodeJpegPlanes(scanFloodJpeg(64, 64, 11), 8, { limits })).toThrow(/more than 10 scans/);
    expect(() => decodeJpegPlanes(scanFloodJpeg(64, 64, 10), 8, { limits })).not.toThrow();
  });

  it('answers a progressive file truncated at any of 60 offsets with a 422 or (cut after its DC at 1/8) planes, within budget', () => {
    const photo = sharedFixture('images/hot_dog.jpg');
    const prog = generated('hot-dog-progressive.jpg', () => run('jpegtran', ['-progressive'], photo));
    let refused = 0;
    for (let i = 1; i <= 60; i++) {
      const cut = prog.subarray(0, Math.floor((prog.length * i) / 61));
      for (const scale of [1, 4, 8] as JpegScale[]) {
        const stats = emptyJpegStats();
        try {
          decodeJpegPlanes(cut, scale, { stats });
          // Only a cut between scans decodes (AC scans not needed at 1/8, or a cut right at a scan boundary).
        } catch (error) {
          expect(error, `cut ${i}/61 at ${scale}/8`).toBeInstanceOf(UndecodableImageError);
          refused++;
        }
        // hot_dog.jpg is 512x384 4:4:4: 64x48 blocks per component; libjpeg's script visits each 4-6 times.
        expect(stats.blockVisits).toBeLessThanOrEqual(6 * 3 * 64 * 48);
      }
    }
    expect(refused).toBeGreaterThan(120);
  });

  it('skips every AC band unread at 1/8 and decodes them all at 2/8 and up (a later refinement may read their history)', () => {
    const scans = [
      { comps: [0], ss: 0, se: 0, ah: 0, al: 0 },
      { comps: [0], ss: 1, se: 5, ah: 0, al: 0 },
      { comps: [0], ss: 6, se: 12, ah: 0, al: 0 },
      { comps: [0], ss: 13, se: 63, ah: 0, al: 0 },
    ];
    const bytes = zeroJpeg({ width: 512, height: 512, sampling: [[1, 1]], progressive: true, scans });
    const counted = (scale: JpegScale) => {
      const stats = emptyJpegStats();
      decodeJpegPlanes(bytes, scale, { stats });
      return [stats.scansDecoded, stats.scansSkipped];
    };
    expect(counted(1)).toEqual([1, 3]);
    expect(counted(2)).toEqual([4, 0]);
    expect(counted(3)).toEqual([4, 0]);
    expect(counted(4)).toEqual([4, 0]);
    expect(counted(8)).toEqual([4, 0]);
  });

  it('refuses with 413 a progressive frame whose coefficients at the chosen scale would pass the decode budget, before decoding', () => {
    // 1000x40000 grey: decoded at 2/8 (its shorter side needs it), 125x5000 blocks of 128 bytes = 80 MB.
    const scans = [{ comps: [0], ss: 0, se: 0, ah: 0, al: 0 }];
    const bytes = zeroJpeg({ width: 1000, height: 40000, sampling: [[1, 1]], progressive: true, scans });
    const stats = emptyJpegStats();
    let kind = '', code = '';
    try {
      decodeJpegPlanes(bytes, 2, { stats });
    } catch (error) {
      ({ kind, code } = error as { kind: string; code: string });
    }
    expect([kind, code]).toEqual(['too_large', 'decode_budget_exceeded']);
    expect(stats).toEqual(emptyJpegStats());
    // At 1/8 the same frame keeps DC only (2 bytes per block) and decodes.
    expect(decodeJpegPlanes(bytes, 1).width).toBe(125);
  });

  it('refuses a sequential frame that claims 7000x7000 over a few bytes of data', () => {
    const small = zeroJpeg({ width: 16, height: 16, sampling: [[1, 1]], progressive: false, scans: [{ comps: [0], ss: 0, se: 63, ah: 0, al: 0 }] });
    const lying = small.slice();
    const sof = lying.findIndex((b, i) => b === 0xff && lying[i + 1] === 0xc0);
    lying.set([7000 >> 8, 7000 & 255, 7000 >> 8, 7000 & 255], sof + 5);
    expect(refusal(lying, 1).message).toMatch(/truncated/);
  });
});
