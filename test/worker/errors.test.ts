import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './fixtures.ts';
import { post, publishTrainedHead } from './helpers.ts';

const fetchWorker = (request: Request) => exports.default.fetch(request);

async function expectError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/json');
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error.message;
}

/** A JPEG that is only a header: SOI, a baseline frame header of the given size, EOI. */
function jpegHeaderOnly(width: number, height: number): Uint8Array {
  return new Uint8Array([
    0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03,
    0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9,
  ]);
}

const GIF = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b]);

describe('errors of /v1/classify (all in the one JSON error shape)', () => {
  beforeAll(async () => {
    await publishTrainedHead();
  });

  it('returns 415 for a GIF', async () => {
    const message = await expectError(await fetchWorker(post('/v1/classify', GIF, 'image/gif')), 415, 'unsupported_media_type');
    expect(message).toContain('image/jpeg');
  });

  it('returns 415 for GIF bytes labelled as JPEG, sniffing the real format', async () => {
    await expectError(await fetchWorker(post('/v1/classify', GIF, 'image/jpeg')), 415, 'unsupported_media_type');
  });

  it('returns 415 for a text body and for a request with no content type', async () => {
    await expectError(await fetchWorker(post('/v1/classify', 'hello', 'text/plain')), 415, 'unsupported_media_type');
    await expectError(await fetchWorker(new Request('http://edgehead.test/v1/classify', { method: 'POST', body: new Uint8Array([1, 2, 3]) })), 415, 'unsupported_media_type');
  });

  it('returns 422 for a truncated JPEG', async () => {
    const truncated = fixture('images/cat_720p.jpg').slice(0, 3000);
    await expectError(await fetchWorker(post('/v1/classify', truncated, 'image/jpeg')), 422, 'undecodable_image');
  });

  it('returns 413 for an upload over the byte limit', async () => {
    // MAX_IMAGE_BYTES is 4 MB in the test configuration (vitest.config.ts).
    const message = await expectError(await fetchWorker(post('/v1/classify', new Uint8Array(4_000_001), 'image/jpeg')), 413, 'too_large');
    expect(message).toContain('4000000');
  });

  it('returns 413 for a streamed upload with no declared length once it passes the byte limit', async () => {
    const chunk = new Uint8Array(1_000_000);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const request = post('/v1/classify', stream, 'image/jpeg');
    expect(request.headers.get('content-length')).toBeNull();
    await expectError(await fetchWorker(request), 413, 'too_large');
  });

  it('returns 413 from the header alone for a 40000x30000 image, naming the size and the limit', async () => {
    const message = await expectError(await fetchWorker(post('/v1/classify', jpegHeaderOnly(40000, 30000), 'image/jpeg')), 413, 'too_many_pixels');
    expect(message).toBe('image is 40000x30000 = 1200 MP; the limit is 50 MP');
  });

  it('returns 400 for an empty body, a bad top_k and a multipart body without an image field', async () => {
    await expectError(await fetchWorker(post('/v1/classify', new Uint8Array(0), 'image/jpeg')), 400, 'empty_body');
    await expectError(await fetchWorker(post('/v1/classify?top_k=0', fixture('images/cat_720p.jpg'), 'image/jpeg')), 400, 'invalid_top_k');
    await expectError(await fetchWorker(post('/v1/classify?top_k=two', fixture('images/cat_720p.jpg'), 'image/jpeg')), 400, 'invalid_top_k');
    const form = new FormData();
    form.append('photo', new File([fixture('images/cat_720p.jpg')], 'cat.jpg', { type: 'image/jpeg' }));
    await expectError(await fetchWorker(new Request('http://edgehead.test/v1/classify', { method: 'POST', body: form })), 400, 'missing_image');
    await expectError(
      await fetchWorker(post('/v1/classify', '--x\r\nnot really multipart', 'multipart/form-data; boundary=zzz')),
      400,
      'malformed_multipart',
    );
  });

  it('returns 404 as JSON for an unknown route', async () => {
    await expectError(await fetchWorker(new Request('http://edgehead.test/v2/nothing')), 404, 'not_found');
  });
});
