import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { concat, ihdr, PNG_SIGNATURE, pngChunk } from '../helpers/png-chunk-writer.ts';
import { scanFloodJpeg, zeroJpeg } from '../helpers/hostile-jpeg.ts';
import { losslessWebpHeader, vp8xWebp } from '../helpers/webp-headers.ts';
import { post, publishTrainedHead } from './helpers.ts';

const fetchWorker = (request: Request) => exports.default.fetch(request);

/** zlib (RFC 1950) compression with workerd's own CompressionStream: no node:zlib here. */
async function zlib(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function png(width: number, height: number, depth: number, colourType: number, idat: Uint8Array, before: Uint8Array[] = []): Uint8Array {
  return concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(width, height, depth, colourType)), ...before, pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]);
}

async function classify(bytes: Uint8Array, type: string): Promise<{ status: number; body: { error?: { code: string; message: string }; predictions?: unknown[] } }> {
  const response = await fetchWorker(post('/v1/classify', bytes, type));
  return { status: response.status, body: await response.json() };
}

describe('POST /v1/classify with hostile PNG and WebP files', () => {
  beforeAll(async () => {
    await publishTrainedHead();
  });

  it('classifies a small PNG carrying an iCCP profile that inflates to 64 MB (the profile is never inflated)', async () => {
    const profile = concat([new TextEncoder().encode('icc\0\0'), await zlib(new Uint8Array(64 << 20))]);
    const scan = new Uint8Array(300 * 901).map((_, i) => (i % 901 === 0 ? 0 : i % 251));
    const { status, body } = await classify(png(300, 300, 8, 2, await zlib(scan), [pngChunk('iCCP', profile)]), 'image/png');
    expect(status).toBe(200);
    expect(body.predictions?.length).toBeGreaterThan(0);
  });

  it('classifies a zero-filled 3000x3000 PNG', async () => {
    const { status } = await classify(png(3000, 3000, 8, 0, await zlib(new Uint8Array(3000 * 3001))), 'image/png');
    expect(status).toBe(200);
  });

  it('answers 422 for a 7000x7000 header with ten rows of data', async () => {
    const { status, body } = await classify(png(7000, 7000, 8, 2, await zlib(new Uint8Array(10 * 21001))), 'image/png');
    expect(status).toBe(422);
    expect(body.error?.code).toBe('undecodable_image');
    expect(body.error?.message).toMatch(/truncated PNG: the image data inflates to 210010 bytes/);
  });

  it('answers 422 for a bad IDAT CRC', async () => {
    const bytes = png(2, 2, 8, 0, await zlib(new Uint8Array(6)));
    bytes[bytes.length - 14] ^= 0xff;
    const { status, body } = await classify(bytes, 'image/png');
    expect(status).toBe(422);
    expect(body.error?.message).toMatch(/CRC mismatch in chunk IDAT/);
  });

  it('answers 413 webp_too_large for a 7000x7000 lossless WebP header', async () => {
    const { status, body } = await classify(losslessWebpHeader(7000, 7000), 'image/webp');
    expect(status).toBe(413);
    expect(body.error?.code).toBe('webp_too_large');
    expect(body.error?.message).toMatch(/send JPEG or PNG/);
  });

  it('answers 422 for a VP8X canvas that disagrees with its frame', async () => {
    const { status, body } = await classify(vp8xWebp(64, 64, losslessWebpHeader(7000, 7000)), 'image/webp');
    expect(status).toBe(422);
    expect(body.error?.code).toBe('undecodable_image');
  });
});

describe('POST /v1/classify with hostile JPEG files', () => {
  beforeAll(async () => {
    await publishTrainedHead();
  });

  it('answers 422 too_many_scans for the 2,647-scan all-zero 7000x7000 progressive flood', async () => {
    const { status, body } = await classify(scanFloodJpeg(), 'image/jpeg');
    expect(status).toBe(422);
    expect(body.error?.code).toBe('too_many_scans');
  });

  it('classifies a 400-scan 7000x7000 progressive file (decoded at 1/8 from its DC scan alone)', async () => {
    const { status, body } = await classify(scanFloodJpeg(7000, 7000, 400), 'image/jpeg');
    expect(status).toBe(200);
    expect(body.predictions?.length).toBeGreaterThan(0);
  });

  it('answers 422 for a baseline header that claims 7000x7000 over a few bytes of data', async () => {
    const small = zeroJpeg({ width: 16, height: 16, sampling: [[1, 1]], progressive: false, scans: [{ comps: [0], ss: 0, se: 63, ah: 0, al: 0 }] });
    const lying = small.slice();
    const sof = lying.findIndex((b, i) => b === 0xff && lying[i + 1] === 0xc0);
    lying.set([7000 >> 8, 7000 & 255, 7000 >> 8, 7000 & 255], sof + 5);
    const { status, body } = await classify(lying, 'image/jpeg');
    expect(status).toBe(422);
    expect(body.error?.code).toBe('undecodable_image');
  });

  it('answers 413 decode_budget_exceeded for a 1000x40000 progressive frame (80 MB of coefficients at 2/8)', async () => {
    const scans = [{ comps: [0], ss: 0, se: 0, ah: 0, al: 0 }];
    const { status, body } = await classify(zeroJpeg({ width: 1000, height: 40000, sampling: [[1, 1]], progressive: true, scans }), 'image/jpeg');
    expect(status).toBe(413);
    expect(body.error?.code).toBe('decode_budget_exceeded');
  });
});
