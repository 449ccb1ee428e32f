import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../shared/image/png/decode-png.ts';
import { decodeImage } from '../../shared/image/decode-image.ts';
import { THUMBNAIL_SIDE } from '../../shared/image/thumbnail.ts';
import { exampleKeys } from '../../shared/store/model-keys.ts';
import { fixture, fixtureNames } from './fixtures.ts';
import { importTinyBackbone } from './helpers.ts';
import { call, ingest, json } from './retrain-helpers.ts';

const patch = (path: string, body: unknown) => call('PATCH', path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const labelCounts = async () => (await json<{ labels: { label: string; count: number }[] }>(await call('GET', '/v1/labels'))).labels;
const mean = (data: Uint8Array) => data.reduce((s, v) => s + v, 0) / data.length;

describe('whole labels: PATCH and DELETE /v1/labels/:label', () => {
  beforeAll(async () => {
    await importTinyBackbone();
  });

  it('renames a label (every example moves, merging into an existing one) and deletes one with its photos', async () => {
    const ants = await ingest(fixtureNames('hymenoptera/train/ants/').slice(0, 3), 'ants');
    const bees = await ingest(fixtureNames('hymenoptera/train/bees/').slice(0, 2), 'bees');
    const wasps = await ingest(fixtureNames('hymenoptera/val/bees/').slice(0, 2), 'wasps');

    const renamed = await patch('/v1/labels/ants', { label: 'fourmis' });
    expect(renamed.status).toBe(200);
    expect(await json(renamed)).toEqual({ from: 'ants', label: 'fourmis', examples: 3 });
    for (const id of ants) expect((await json(await call('GET', `/v1/examples/${id}`))).example.label).toBe('fourmis');
    expect(await json(await patch('/v1/labels/wasps', { label: 'bees' }))).toEqual({ from: 'wasps', label: 'bees', examples: 2 });
    expect(await labelCounts()).toEqual([{ label: 'bees', count: 4 }, { label: 'fourmis', count: 3 }]);

    const deleted = await call('DELETE', '/v1/labels/bees');
    expect(await json(deleted)).toEqual({ deleted: 'bees', examples: 4 });
    expect(await labelCounts()).toEqual([{ label: 'fourmis', count: 3 }]);
    for (const id of [...bees, ...wasps]) {
      expect((await call('GET', `/v1/examples/${id}`)).status).toBe(404);
      expect(await env.EXAMPLES.head(exampleKeys.original(id))).toBeNull();
    }
    expect(await env.EXAMPLES.head(exampleKeys.original(ants[0]))).not.toBeNull();
  });

  it('renames, deletes and thumbnails within one named model only', async () => {
    const name = fixtureNames('hymenoptera/val/ants/')[1];
    const [id] = await ingest([name], 'ants');
    expect((await call('POST', '/v1/models', { body: JSON.stringify({ name: 'pets' }), headers: { 'content-type': 'application/json' } })).status).toBe(201);
    const added = await call('POST', '/v1/models/pets/examples?label=ants', { body: fixture(name), headers: { 'content-type': 'image/jpeg' } });
    expect((await json(added)).example.id).toBe(id);
    expect(await json(await patch('/v1/models/pets/labels/ants', { label: 'bug' }))).toEqual({ from: 'ants', label: 'bug', examples: 1 });
    expect((await json(await call('GET', `/v1/examples/${id}`))).example.label).toBe('ants');
    const thumbnail = await call('GET', `/v1/models/pets/examples/${id}/thumbnail`);
    expect(thumbnail.headers.get('content-type')).toBe('image/png');
    expect(await json(await call('DELETE', '/v1/models/pets/labels/bug'))).toEqual({ deleted: 'bug', examples: 1 });
    expect(await env.EXAMPLES.head(exampleKeys.original(id, 'pets'))).toBeNull();
    expect(await env.EXAMPLES.head(exampleKeys.original(id))).not.toBeNull();
    expect((await call('GET', `/v1/models/pets/examples/${id}/thumbnail`)).status).toBe(404);
    expect((await call('GET', `/v1/examples/${id}/thumbnail`)).status).toBe(200);
  });

  it('takes labels in the path percent-encoded, in any script', async () => {
    await ingest(fixtureNames('hymenoptera/val/ants/').slice(0, 1), 'fourmi rouge');
    expect(await json(await patch(`/v1/labels/${encodeURIComponent('fourmi rouge')}`, { label: 'муравей' }))).toMatchObject({ label: 'муравей', examples: 1 });
    expect(await json(await call('DELETE', `/v1/labels/${encodeURIComponent('муравей')}`))).toEqual({ deleted: 'муравей', examples: 1 });
  });

  it('refuses an unknown label (404), a bad new label or body (400), and callers without the token (401)', async () => {
    const cases: [Response, number, string][] = [
      [await patch('/v1/labels/nobody', { label: 'x' }), 404, 'label_not_found'],
      [await call('DELETE', '/v1/labels/nobody'), 404, 'label_not_found'],
      [await patch('/v1/labels/ants', { label: 'a/b' }), 400, 'invalid_label'],
      [await patch('/v1/labels/ants', { label: 'ants' }), 400, 'same_label'],
      [await call('PATCH', '/v1/labels/ants', { body: '[1]', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request'],
      [await call('DELETE', '/v1/labels/ants', { admin: false }), 401, 'unauthorized'],
    ];
    for (const [response, status, code] of cases) {
      expect(response.status).toBe(status);
      expect((await json(response)).error.code).toBe(code);
    }
  });
});

describe('GET /v1/examples/:id/thumbnail', () => {
  it('answers a PNG of the stored photo, at most THUMBNAIL_SIDE pixels on its longer side, same aspect and colours', async () => {
    const name = 'images/cat_720p.jpg';
    const [id] = await ingest([name], 'cats');
    const response = await call('GET', `/v1/examples/${id}/thumbnail`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('cache-control')).toContain('private');
    const bytes = new Uint8Array(await response.arrayBuffer());
    const png = decodePng(bytes);
    const original = decodeImage(fixture(name), { maxPixels: 50_000_000 });
    expect(Math.max(png.width, png.height)).toBe(THUMBNAIL_SIDE);
    expect(png.width / png.height).toBeCloseTo(original.width / original.height, 1);
    expect(Math.abs(mean(png.data) - mean(original.data))).toBeLessThan(2);
    expect(bytes.byteLength).toBeLessThan(THUMBNAIL_SIDE * THUMBNAIL_SIDE * 3);
  });

  it('answers 404 for an unknown example and 401 without the token', async () => {
    const unknown = await call('GET', `/v1/examples/${'0'.repeat(64)}/thumbnail`);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error.code).toBe('example_not_found');
    expect((await call('GET', `/v1/examples/${'0'.repeat(64)}/thumbnail`, { admin: false })).status).toBe(401);
  });
});
