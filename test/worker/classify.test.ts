import { env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { encode as encodePng } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../shared/image/decode-image.ts';
import { promoteHead } from '../../shared/store/head-store.ts';
import { fixture, fixtureNames } from './fixtures.ts';
import { post, publishTrainedHead } from './helpers.ts';

interface ClassifyBody {
  predictions: { label: string; score: number }[];
  model: { head: string; backbone: string; engine: string };
  timing_ms: Record<string, number>;
}

const fetchWorker = (request: Request) => exports.default.fetch(request);

describe('POST /v1/classify with a head trained in the test', () => {
  let version: string;
  let backboneId: string;

  beforeAll(async () => {
    const manifest = await publishTrainedHead();
    version = manifest.version;
    backboneId = manifest.backboneId;
  });

  it('classifies real validation photos of ants and bees', async () => {
    const names = fixtureNames('hymenoptera/val/');
    let correct = 0;
    for (const name of names) {
      const response = await fetchWorker(post('/v1/classify', fixture(name), 'image/jpeg'));
      expect(response.status).toBe(200);
      const body = (await response.json()) as ClassifyBody;
      if (body.predictions[0].label === name.split('/')[2]) correct++;
    }
    // 40 training photos through the tiny 0.25-width backbone: far above chance (0.5), not perfect.
    expect(correct / names.length).toBeGreaterThanOrEqual(0.75);
  });

  it('classifies a streamed upload with no declared length exactly like the same bytes with one', async () => {
    const bytes = fixture('images/cat_720p.jpg');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
        controller.close();
      },
    });
    const streamed = post('/v1/classify', stream, 'image/jpeg');
    expect(streamed.headers.get('content-length')).toBeNull();
    const a = (await (await fetchWorker(streamed)).json()) as ClassifyBody;
    const b = (await (await fetchWorker(post('/v1/classify', bytes, 'image/jpeg'))).json()) as ClassifyBody;
    expect(a.predictions).toEqual(b.predictions);
  });

  it('answers with sorted predictions whose scores sum to 1, the model versions and timings', async () => {
    const response = await fetchWorker(post('/v1/classify', fixture('hymenoptera/val/bees/' + fixtureNames('hymenoptera/val/bees/')[0].split('/')[3]), 'image/jpeg'));
    const body = (await response.json()) as ClassifyBody;
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(body.predictions.map((p) => p.label).sort()).toEqual(['ants', 'bees']);
    expect(body.predictions[0].score).toBeGreaterThanOrEqual(body.predictions[1].score);
    expect(body.predictions[0].score + body.predictions[1].score).toBeCloseTo(1, 5);
    // The quantised backbone runs on the integer kernels inside workerd, and the answer says so.
    expect(body.model).toEqual({ head: version, backbone: backboneId, engine: 'int8-simd' });
    expect(Object.keys(body.timing_ms)).toEqual(expect.arrayContaining(['decode', 'resize', 'forward', 'head', 'total']));
    expect(Object.values(body.timing_ms).every((ms) => typeof ms === 'number')).toBe(true);
  });

  it('honours top_k', async () => {
    const response = await fetchWorker(post('/v1/classify?top_k=1', fixture('images/cat_720p.jpg'), 'image/jpeg'));
    expect(((await response.json()) as ClassifyBody).predictions).toHaveLength(1);
  });

  it('accepts the image as a multipart form field named image', async () => {
    const form = new FormData();
    form.append('image', new File([fixture('images/hot_dog.jpg')], 'hot_dog.jpg', { type: 'image/jpeg' }));
    const response = await fetchWorker(new Request('http://edgehead.test/v1/classify', { method: 'POST', body: form }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as ClassifyBody).predictions).toHaveLength(2);
  });

  it('classifies a PNG like the JPEG it was made from', async () => {
    const jpeg = fixture(fixtureNames('hymenoptera/val/ants/')[0]);
    // The service decodes JPEGs straight to the smallest DCT scale that still covers the 128 px input, and
    // resizes their planes before the colour conversion (chroma at its own resolution), so the two inputs
    // differ by rounding (a fraction of a grey level on average) and the scores agree to 3 decimals.
    const rgb = decodeImage(jpeg, { maxPixels: 50_000_000, minSide: 128 });
    const png = encodePng({ width: rgb.width, height: rgb.height, data: rgb.data, channels: 3, depth: 8 });
    const [fromJpeg, fromPng] = await Promise.all([
      fetchWorker(post('/v1/classify', jpeg, 'image/jpeg')).then((r) => r.json() as Promise<ClassifyBody>),
      fetchWorker(post('/v1/classify', png, 'image/png')).then((r) => r.json() as Promise<ClassifyBody>),
    ]);
    expect(fromPng.predictions[0].label).toBe(fromJpeg.predictions[0].label);
    expect(fromPng.predictions[0].score).toBeCloseTo(fromJpeg.predictions[0].score, 3);
  });

  it('classifies a WebP like the JPEG it was made from', async () => {
    const [fromJpeg, fromWebp] = await Promise.all(
      [post('/v1/classify', fixture('images/hot_dog.jpg'), 'image/jpeg'), post('/v1/classify', fixture('images/hot_dog.webp'), 'image/webp')].map((r) =>
        fetchWorker(r).then((response) => {
          expect(response.status).toBe(200);
          return response.json() as Promise<ClassifyBody>;
        }),
      ),
    );
    expect(fromWebp.predictions.map((p) => p.label)).toEqual(fromJpeg.predictions.map((p) => p.label));
    expect(fromWebp.predictions[0].score).toBeCloseTo(fromJpeg.predictions[0].score, 1);
  });

  it('picks up a newly published head on the next request, and a rollback too', async () => {
    const newer = await publishTrainedHead({ seed: 8, now: new Date('2026-11-28T12:00:00Z'), labels: ['bees', 'ants'] });
    expect(newer.version).not.toBe(version);
    const after = (await (await fetchWorker(post('/v1/classify', fixture('images/cat_720p.jpg'), 'image/jpeg'))).json()) as ClassifyBody;
    expect(after.model.head).toBe(newer.version);
    await promoteHead(env.MODELS, version, new Date('2026-11-28T13:00:00Z'));
    const back = (await (await fetchWorker(post('/v1/classify', fixture('images/cat_720p.jpg'), 'image/jpeg'))).json()) as ClassifyBody;
    expect(back.model.head).toBe(version);
  });

  it('serves the head manifest on GET /v1/model', async () => {
    const response = await fetchWorker(new Request('http://edgehead.test/v1/model'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { head: { version: string; labels: string[]; backboneId: string }; backbone: { id: string; spec: { embeddingSize: number } } };
    expect(body.head.labels).toEqual(['ants', 'bees']);
    expect(body.head.backboneId).toBe(backboneId);
    expect(body.backbone).toMatchObject({ id: backboneId, spec: { embeddingSize: 256 } });
  });

  it('reports the wasm backend with SIMD and the resize kernel on /healthz', async () => {
    const body = (await (await fetchWorker(new Request('http://edgehead.test/healthz'))).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, backend: 'wasm', simd: true, resize: 'wasm-simd', backbone: backboneId });
  });
});
