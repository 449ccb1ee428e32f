import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeImage } from '../../shared/image/probe-image.ts';
import { fuzzSourcePaths } from '../fuzz/fuzz-sources.ts';
import { makeCase } from '../fuzz/mutate.ts';
import { runFuzz } from '../fuzz/run-fuzz.ts';
import { flatBaselineJpeg, progressiveScanFlood, tinyLosslessWebp, vp8xCanvasMismatch } from '../helpers/hostile-images.ts';
import { requireTool } from '../helpers/image-fixtures.ts';

describe('fuzz slice (300 seeded mutations of real JPEG, PNG and WebP photos)', () => {
  it('answers every case with a decoded image or a 4xx EdgeheadError: no other exception, hang or crash', async () => {
    const sources = fuzzSourcePaths();
    const report = await runFuzz({ seed: 1, cases: 300, sourcePaths: sources, yardstickPaths: [sources[0]], checkBounds: false });
    expect(report.failures).toEqual([]);
    expect(report.outcomes.decoded + report.outcomes.refused).toBe(300);
    // Both sides are exercised: some mutations still decode, most are refused.
    expect(report.outcomes.decoded).toBeGreaterThan(20);
    expect(report.outcomes.refused).toBeGreaterThan(150);
  });

  it('makes the same case from the same seed and number', () => {
    const sources = [flatBaselineJpeg(64, 64), tinyLosslessWebp(32, 32)];
    const a = makeCase(7, 123, sources);
    const b = makeCase(7, 123, sources);
    expect(a.bytes).toEqual(b.bytes);
    expect(a.mutations).toEqual(b.mutations);
    expect(makeCase(8, 123, sources).bytes).not.toEqual(a.bytes);
  });
});

describe('hostile image generators', () => {
  it('writes progressive scan floods and baseline JPEGs that libjpeg decodes', () => {
    requireTool('djpeg');
    const dir = mkdtempSync(join(tmpdir(), 'edgehead-hostile-'));
    writeFileSync(join(dir, 'flood.jpg'), progressiveScanFlood(64, 48, 5));
    writeFileSync(join(dir, 'flat.jpg'), flatBaselineJpeg(100, 60));
    expect(execFileSync('djpeg', ['-pnm', join(dir, 'flood.jpg')]).subarray(0, 9).toString()).toBe('P5\n64 48\n');
    expect(execFileSync('djpeg', ['-pnm', join(dir, 'flat.jpg')]).subarray(0, 10).toString()).toBe('P5\n100 60\n');
    const flood = progressiveScanFlood();
    expect(probeImage(flood)).toMatchObject({ width: 7000, height: 7000, progressive: true });
    expect(flood.length).toBeLessThan(400_000);
  });

  it('writes a lossless WebP of any claimed size in a few bytes, and VP8X canvases libwebp refuses', () => {
    requireTool('dwebp');
    const dir = mkdtempSync(join(tmpdir(), 'edgehead-hostile-'));
    writeFileSync(join(dir, 'small.webp'), tinyLosslessWebp(300, 200));
    writeFileSync(join(dir, 'mismatch.webp'), vp8xCanvasMismatch());
    expect(execFileSync('dwebp', ['-quiet', join(dir, 'small.webp'), '-ppm', '-o', '-']).subarray(0, 11).toString()).toBe('P6\n300 200\n');
    expect(() => execFileSync('dwebp', ['-quiet', join(dir, 'mismatch.webp'), '-ppm', '-o', '-'], { stdio: 'ignore' })).toThrow();
    const big = tinyLosslessWebp();
    expect(big.length).toBeLessThan(64);
    expect(probeImage(big)).toMatchObject({ format: 'webp', width: 7000, height: 7000 });
  });
});
