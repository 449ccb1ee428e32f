import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../workers/index.ts';
import { fixture, fixtureNames } from './fixtures.ts';
import { importTinyBackbone } from './helpers.ts';
import { call, ingest, json, runCron, runs, serving } from './retrain-helpers.ts';

const ants = fixtureNames('hymenoptera/train/ants/').slice(0, 12);
const bees = fixtureNames('hymenoptera/train/bees/').slice(0, 12);

describe('admin access', () => {
  const photo = () => fixture(ants[0]);
  const cases: [string, string, Record<string, string>][] = [
    ['POST', '/v1/examples?label=ants', {}],
    ['POST', '/v1/examples?label=ants', { authorization: 'Bearer wrong-token' }],
    ['POST', '/v1/examples?label=ants', { authorization: 'Basic dGVzdC1hZG1pbi10b2tlbg==' }],
    ['GET', '/v1/examples', { authorization: 'Bearer test-admin-token-' }],
    ['GET', '/v1/labels', {}],
    ['POST', '/v1/train', {}],
    ['GET', '/v1/runs', {}],
    ['GET', '/v1/heads', {}],
    ['POST', '/v1/heads/h-20261128T110000Z-abcdef01/promote', {}],
    ['DELETE', '/v1/heads/h-20261128T110000Z-abcdef01', {}],
  ];
  for (const [method, path, headers] of cases) {
    it(`${method} ${path} with ${headers.authorization ?? 'no token'}: 401 JSON`, async () => {
      const body = method === 'POST' && path.startsWith('/v1/examples') ? photo() : undefined;
      const response = await call(method, path, { admin: false, body, headers: { ...headers, 'content-type': 'image/jpeg' } });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/json');
      const error = (await json(response)).error;
      expect(error.code).toBe('unauthorized');
      expect(error.message).not.toContain('test-admin-token');
    });
  }

  it('leaves /v1/classify public', async () => {
    const response = await call('POST', '/v1/classify', { admin: false, body: photo(), headers: { 'content-type': 'image/jpeg' } });
    expect(response.status).toBe(503);
  });
});

describe('examples API', () => {
  beforeAll(async () => {
    await importTinyBackbone();
  });

  it('validates labels, pages, filters, relabels and deletes', async () => {
    for (const label of ['', ' ants', 'a/b', 'x'.repeat(65), 'bad\u0000label']) {
      const response = await call('POST', `/v1/examples?label=${encodeURIComponent(label)}`, { body: fixture(ants[0]), headers: { 'content-type': 'image/jpeg' } });
      expect(response.status, label).toBe(400);
      expect((await json(response)).error.code).toBe('invalid_label');
    }
    const [unicode] = await ingest([ants[0]], 'fourmi ailée');
    await ingest(ants.slice(1, 5), 'ants');
    const undecodable = await call('POST', '/v1/examples?label=ants', { body: fixture(ants[1]).slice(0, 600), headers: { 'content-type': 'image/jpeg' } });
    expect(undecodable.status).toBe(422);

    const page1 = await json(await call('GET', '/v1/examples?limit=2'));
    expect(page1.examples).toHaveLength(2);
    const page2 = await json(await call('GET', `/v1/examples?limit=2&cursor=${page1.cursor}`));
    const page3 = await json(await call('GET', `/v1/examples?limit=2&cursor=${page2.cursor}`));
    expect(page3).toMatchObject({ cursor: null });
    const all = [...page1.examples, ...page2.examples, ...page3.examples].map((e: { id: string }) => e.id);
    expect(new Set(all).size).toBe(5);
    expect(all).toEqual([...all].sort());
    expect((await json(await call('GET', `/v1/examples?label=${encodeURIComponent('fourmi ailée')}`))).examples.map((e: { id: string }) => e.id)).toEqual([unicode]);

    const got = await json(await call('GET', `/v1/examples/${unicode}`));
    expect(got.example).toMatchObject({ id: unicode, label: 'fourmi ailée', contentType: 'image/jpeg', bytes: fixture(ants[0]).byteLength });
    const image = await call('GET', `/v1/examples/${unicode}/image`);
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(fixture(ants[0]));

    const patched = await call('PATCH', `/v1/examples/${unicode}`, { body: JSON.stringify({ label: 'ants' }), headers: { 'content-type': 'application/json' } });
    expect((await json(patched)).example.label).toBe('ants');
    expect((await call('PATCH', `/v1/examples/${unicode}`, { body: '{"label":1}', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await call('PATCH', `/v1/examples/${'0'.repeat(64)}`, { body: '{"label":"ants"}', headers: { 'content-type': 'application/json' } })).status).toBe(404);
    // The contract declares a JSON body: another content type is refused before the handler runs.
    expect((await call('PATCH', `/v1/examples/${unicode}`, { body: '{"label":"ants"}' })).status).toBe(415);
    expect(await json(await call('GET', '/v1/labels'))).toEqual({ labels: [{ label: 'ants', count: 5 }], total: 5 });

    expect((await call('DELETE', `/v1/examples/${unicode}`)).status).toBe(200);
    expect((await call('GET', `/v1/examples/${unicode}`)).status).toBe(404);
    expect(await env.EXAMPLES.get(`examples/${unicode}`)).toBeNull();
    expect((await call('DELETE', `/v1/examples/${unicode}`)).status).toBe(404);
  });
});

describe('training runs are safe', () => {
  beforeAll(async () => {
    await importTinyBackbone();
    await env.DB.exec('DELETE FROM examples');
  });

  it('two overlapping runs publish once; re-embedding counts its forwards; a run that dies leaves the serving head', async () => {
    await ingest(ants, 'ants');
    await ingest(bees, 'bees');

    const contexts = [createExecutionContext(), createExecutionContext()];
    for (const ctx of contexts) worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: '0 * * * *' }), env, ctx);
    await Promise.all(contexts.map(waitOnExecutionContext));
    const overlapping = await runs();
    expect(overlapping.map((r) => r.status).sort()).toEqual(['published', 'skipped']);
    expect(overlapping.find((r) => r.status === 'skipped')!.reason).toContain('lease');
    const heads = await json(await call('GET', '/v1/heads'));
    expect(heads.heads).toHaveLength(1);
    const v1 = heads.serving as string;

    // Examples recorded as embedded by another backbone are re-embedded from their originals in R2.
    const { results } = await env.DB.prepare('SELECT id, embedding_q8 FROM examples ORDER BY id LIMIT 3').all<{ id: string; embedding_q8: string }>();
    await env.DB.prepare(`UPDATE examples SET backbone_id = 'bb-retired', embedding_q8 = 'q8:AAAAAAAAAAA=' WHERE id IN (?, ?, ?)`).bind(...results.map((r) => r.id)).run();
    const reembed = await runCron();
    expect(reembed).toMatchObject({ status: 'skipped', reEmbedded: 3, backboneForwards: 6 });
    const after = await env.DB.prepare('SELECT id, embedding_q8, backbone_id FROM examples ORDER BY id LIMIT 3').all<{ id: string; embedding_q8: string; backbone_id: string }>();
    expect(after.results.map((r) => [r.id, r.backbone_id, r.embedding_q8])).toEqual(results.map((r) => [r.id, heads.heads[0].backboneId, r.embedding_q8]));
    // ... and then nothing is left to do: no backbone forward at all.
    expect(await runCron()).toMatchObject({ status: 'skipped', reEmbedded: 0, backboneForwards: 0 });

    // A run dies half way (an original vanished from R2 while it needs re-embedding): recorded as failed,
    // the serving head is untouched, and the lease is free for the next run.
    const victim = results[0].id;
    await env.DB.prepare(`UPDATE examples SET backbone_id = 'bb-retired' WHERE id = ?`).bind(victim).run();
    await env.EXAMPLES.delete(`examples/${victim}`);
    const failed = await runCron();
    expect(failed.status).toBe('failed');
    expect(failed.reason).toContain(victim);
    expect(await serving()).toBe(v1);
    await call('DELETE', `/v1/examples/${victim}`);
    await ingest([fixtureNames('hymenoptera/val/ants/')[0]], 'ants');
    const recovered = await call('POST', '/v1/train');
    expect(recovered.status).toBe(200);
    const manual = (await json(recovered)).run;
    expect(manual).toMatchObject({ trigger: 'manual', status: expect.stringMatching(/^(published|kept)$/) });

    // The run log pages newest first with a cursor, and single runs can be read back.
    const all = await runs();
    expect(all[0].id).toBe(manual.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { runs: { id: string }[]; cursor: string | null } = await json(await call('GET', `/v1/runs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
      paged.push(...page.runs.map((r) => r.id));
      cursor = page.cursor;
    } while (cursor);
    expect(paged).toEqual(all.map((r) => r.id));
    expect((await json(await call('GET', `/v1/runs/${failed.id}`))).run).toMatchObject({ status: 'failed', servingVersion: v1 });
    expect((await call('GET', '/v1/runs/run-nope')).status).toBe(404);
  });
});
