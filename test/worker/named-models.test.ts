import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelKeys } from '../../shared/store/model-keys.ts';
import { fixture, fixtureNames } from './fixtures.ts';
import { importTinyBackbone } from './helpers.ts';
import { call, json, runCron } from './retrain-helpers.ts';

const ants = fixtureNames('hymenoptera/train/ants/');
const bees = fixtureNames('hymenoptera/train/bees/');
const cats = fixtureNames('more/cats/');
const bugs = fixtureNames('more/ants/').slice(0, 15);
const val = fixtureNames('hymenoptera/val/');

/** Adds photos to a model's examples (`/v1/...` for default, `/v1/models/NAME/...` else); returns their ids. */
async function ingest(base: string, names: string[], label: string): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const response = await call('POST', `${base}/examples?label=${label}`, { body: fixture(name), headers: { 'content-type': 'image/jpeg' } });
    const body = await json(response);
    expect(response.status, JSON.stringify(body)).toBe(201);
    ids.push(body.example.id);
  }
  return ids;
}

function classify(query: string, name: string): Promise<Response> {
  return call('POST', `/v1/classify${query}`, { body: fixture(name), headers: { 'content-type': 'image/jpeg' }, admin: false });
}

async function errorCode(response: Response, status: number): Promise<string> {
  const body = await json(response);
  expect(response.status, JSON.stringify(body)).toBe(status);
  return body.error.code;
}

describe('named models on one backbone', () => {
  let sharedPhoto: string;

  beforeAll(async () => {
    await importTinyBackbone();
  });

  it('refuses bad names with 400 and unknown models with 404, in paths, bodies and classify', async () => {
    for (const name of ['Birds', 'a_b', 'x'.repeat(33), '']) {
      expect(await errorCode(await call('POST', '/v1/models', { body: JSON.stringify({ name }), headers: { 'content-type': 'application/json' } }), 400)).toBe('invalid_model_name');
    }
    expect(await errorCode(await call('GET', '/v1/models/Birds/labels'), 400)).toBe('invalid_model_name');
    expect(await errorCode(await call('GET', '/v1/models/nope/labels'), 404)).toBe('unknown_model');
    expect(await errorCode(await call('POST', '/v1/models/nope/train'), 404)).toBe('unknown_model');
    expect(await errorCode(await classify('?model=nope', val[0]), 404)).toBe('unknown_model');
    expect(await errorCode(await classify('?models=default,nope', val[0]), 404)).toBe('unknown_model');
    expect(await errorCode(await classify('?models=a_b', val[0]), 400)).toBe('invalid_model_name');
    expect(await errorCode(await call('GET', '/v1/models', { admin: false }), 401)).toBe('unauthorized');
  });

  it('creates models, refuses a duplicate, lists them with default', async () => {
    const created = await call('POST', '/v1/models', { body: JSON.stringify({ name: 'insects' }), headers: { 'content-type': 'application/json' } });
    expect(created.status).toBe(201);
    expect((await json(created)).model).toMatchObject({ name: 'insects', trainEveryMinutes: null });
    const pets = await call('POST', '/v1/models', { body: JSON.stringify({ name: 'pets', trainEveryMinutes: 1440 }), headers: { 'content-type': 'application/json' } });
    expect(pets.status).toBe(201);
    expect(await errorCode(await call('POST', '/v1/models', { body: JSON.stringify({ name: 'pets' }), headers: { 'content-type': 'application/json' } }), 409)).toBe('model_exists');
    const { models } = await json(await call('GET', '/v1/models'));
    expect(models.map((m: { name: string }) => m.name)).toEqual(['default', 'insects', 'pets']);
    expect(models[2]).toMatchObject({ trainEveryMinutes: 1440, examples: 0, head: null });
    const patch = (body: unknown) => call('PATCH', '/v1/models/insects', { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect((await json(await patch({ trainEveryMinutes: 5 }))).model).toMatchObject({ name: 'insects', trainEveryMinutes: 5 });
    expect(await errorCode(await patch({ trainEveryMinutes: 0 }), 400)).toBe('invalid_schedule');
    expect((await json(await patch({ trainEveryMinutes: null }))).model.trainEveryMinutes).toBeNull();
  });

  it('keeps each model\'s examples to itself, even the same photo under two labels', async () => {
    const antIds = await ingest('/v1/models/insects', ants, 'ants');
    await ingest('/v1/models/insects', bees, 'bees');
    await ingest('/v1/models/pets', cats, 'cat');
    // The first ant photo is also a "bug" of pets: a separate example with its own label.
    await ingest('/v1/models/pets', [ants[0], ...bugs], 'bug');
    sharedPhoto = antIds[0];
    expect(await json(await call('GET', '/v1/models/insects/labels'))).toEqual({ labels: [{ label: 'ants', count: 20 }, { label: 'bees', count: 20 }], total: 40 });
    expect(await json(await call('GET', '/v1/models/pets/labels'))).toEqual({ labels: [{ label: 'bug', count: 16 }, { label: 'cat', count: cats.length }], total: 16 + cats.length });
    expect(await json(await call('GET', '/v1/labels'))).toEqual({ labels: [], total: 0 });
    expect((await json(await call('GET', `/v1/models/insects/examples/${sharedPhoto}`))).example.label).toBe('ants');
    expect((await json(await call('GET', `/v1/models/pets/examples/${sharedPhoto}`))).example.label).toBe('bug');
    expect(await errorCode(await call('GET', `/v1/examples/${sharedPhoto}`), 404)).toBe('example_not_found');
    const listed = await json(await call('GET', '/v1/models/pets/examples?label=bug&limit=200'));
    expect(listed.examples).toHaveLength(16);
  });

  it('trains each model on its own labels; default stays untouched', async () => {
    for (const name of ['insects', 'pets']) {
      const response = await call('POST', `/v1/models/${name}/train`);
      const { run } = await json(response);
      expect(response.status).toBe(200);
      expect(run.status, run.reason).toBe('published');
    }
    const insects = await json(await call('GET', '/v1/models/insects/heads'));
    const pets = await json(await call('GET', '/v1/models/pets/heads'));
    expect(insects.heads[0].labels).toEqual(['ants', 'bees']);
    expect(pets.heads[0].labels).toEqual(['bug', 'cat']);
    expect((await json(await call('GET', '/v1/models/pets/runs'))).runs).toHaveLength(1);
    expect(await json(await call('GET', '/v1/heads'))).toEqual({ serving: null, heads: [] });
    expect((await json(await call('GET', '/v1/runs'))).runs).toEqual([]);
    expect(await errorCode(await classify('', val[0]), 503)).toBe('no_head');
    const described = await json(await call('GET', '/v1/models/insects'));
    expect(described.model).toMatchObject({ name: 'insects', examples: 40, head: insects.serving });
    expect((await json(await call('GET', '/v1/models/pets/model', { admin: false }))).head.labels).toEqual(['bug', 'cat']);
  });

  it('answers several models from one backbone forward, each exactly as its single answer', async () => {
    let correct = 0;
    for (const name of val) {
      const many = await classify('?models=insects,pets&top_k=5', name);
      expect(many.status).toBe(200);
      const body = await json(many);
      expect(Object.keys(body.models)).toEqual(['insects', 'pets']);
      expect(body.timing_ms.forwards).toBe(1);
      for (const model of ['insects', 'pets']) {
        const { timing_ms: _timing, ...single } = await json(await classify(`?model=${model}&top_k=5`, name));
        expect(body.models[model]).toEqual(single);
      }
      expect(body.models.pets.predictions.map((p: { label: string }) => p.label).sort()).toEqual(['bug', 'cat']);
      if (body.models.insects.predictions[0].label === name.split('/')[2]) correct++;
    }
    expect(correct / val.length).toBeGreaterThanOrEqual(0.75);
  });

  it('gives a model without a head an error entry while the others answer', async () => {
    const body = await json(await classify('?models=default,insects', val[0]));
    expect(body.models.default).toEqual({ error: { code: 'no_head', message: expect.stringContaining('no head') } });
    expect(body.models.insects.predictions).toHaveLength(2);
  });

  it('rolls a model back and forward without touching the others', async () => {
    expect(await errorCode(await call('POST', '/v1/models/pets/heads/rollback'), 409)).toBe('no_earlier_head');
    const before = (await json(await call('GET', '/v1/models/pets/heads'))).serving;
    const forward = await json(await call('POST', `/v1/models/pets/heads/${before}/promote`));
    expect(forward.serving.version).toBe(before);
    expect((await json(await call('GET', '/v1/models/insects/heads'))).heads).toHaveLength(1);
  });

  it('retrains every due model from the cron and honours a model\'s schedule', async () => {
    await runCron();
    await runCron();
    const count = async (base: string) => (await json(await call('GET', `${base}/runs?limit=100`))).runs.length;
    // insects and default: every tick; pets (every 1440 minutes) trained a moment ago: not due.
    expect(await count('/v1/models/insects')).toBe(3);
    expect(await count('/v1')).toBe(2);
    expect(await count('/v1/models/pets')).toBe(1);
  });

  it('deletes a model with its examples, photos, heads and runs; never default; leaves the others whole', async () => {
    expect(await errorCode(await call('DELETE', '/v1/models/default'), 409)).toBe('default_model');
    const petsHead = (await json(await call('GET', '/v1/models/pets/heads'))).serving;
    const deleted = await call('DELETE', '/v1/models/pets');
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toEqual({ deleted: 'pets', heads: 1, examples: 16 + cats.length });
    expect(await errorCode(await call('GET', '/v1/models/pets/labels'), 404)).toBe('unknown_model');
    expect(await errorCode(await classify('?model=pets', val[0]), 404)).toBe('unknown_model');
    expect(await errorCode(await call('DELETE', '/v1/models/pets'), 404)).toBe('unknown_model');
    expect((await env.EXAMPLES.list({ prefix: 'models/pets/' })).objects).toEqual([]);
    expect(await env.MODELS.get(modelKeys.headManifest(petsHead, 'pets'))).toBeNull();
    expect(await env.MODELS.get(modelKeys.currentHead('pets'))).toBeNull();
    const { count } = (await env.DB.prepare("SELECT COUNT(*) AS count FROM runs WHERE model = 'pets'").first<{ count: number }>())!;
    expect(count).toBe(0);
    // insects keeps its copy of the shared photo and still answers.
    expect(await env.EXAMPLES.get(`models/insects/examples/${sharedPhoto}`)).not.toBeNull();
    expect((await classify('?model=insects', val[0])).status).toBe(200);
    // The name is free again, and starts empty.
    expect((await call('POST', '/v1/models', { body: JSON.stringify({ name: 'pets' }), headers: { 'content-type': 'application/json' } })).status).toBe(201);
    expect(await json(await call('GET', '/v1/models/pets/labels'))).toEqual({ labels: [], total: 0 });
  });
});
