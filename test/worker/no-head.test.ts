import { exports } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import { fixture } from './fixtures.ts';
import { importTinyBackbone, post } from './helpers.ts';

const fetchWorker = (request: Request) => exports.default.fetch(request);

it('returns 503 with how to train a head when none is published yet', async () => {
  await importTinyBackbone();
  for (const request of [post('/v1/classify', fixture('images/cat_720p.jpg'), 'image/jpeg'), new Request('http://edgehead.test/v1/model')]) {
    const response = await fetchWorker(request);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('no_head');
    expect(body.error.message).toContain('npx edgehead train --data');
  }
});

it('reports health with the backbone and no head', async () => {
  await importTinyBackbone();
  const body = (await (await fetchWorker(new Request('http://edgehead.test/healthz'))).json()) as Record<string, unknown>;
  expect(body).toMatchObject({ ok: true, backend: 'wasm', simd: true, head: null });
  expect(body.backbone).toMatch(/^bb-[0-9a-f]{16}$/);
});
