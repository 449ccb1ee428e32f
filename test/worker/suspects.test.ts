import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureNames } from './fixtures.ts';
import { importTinyBackbone } from './helpers.ts';
import { call, ingest, json, runCron } from './retrain-helpers.ts';

describe('GET /v1/examples?suspect=true', () => {
  beforeAll(async () => {
    await importTinyBackbone();
  });

  it('lists the deliberately mislabelled uploads after a training run, most suspect first', async () => {
    // 60 ants and 11 cats labelled right, 5 more cats uploaded as "ants" (the tiny test backbone tells ants from
    // cats far better than from bees).
    const cats = fixtureNames('more/cats/');
    await ingest(fixtureNames('more/ants/'), 'ants');
    await ingest(cats.slice(0, 11), 'cats');
    const flipped = new Set(await ingest(cats.slice(11), 'ants'));
    const run = await runCron();
    expect(['published', 'kept']).toContain(run.status);
    const counted = run.details.suspects!;

    const response = await call('GET', '/v1/examples?suspect=true&limit=200');
    expect(response.status).toBe(200);
    const body = await json<{ examples: { id: string; label: string; suspect: { label: string; score: number; run: string } }[]; cursor: string | null }>(response);
    expect(body.examples.length).toBe(counted.count);
    const hits = body.examples.filter((e) => flipped.has(e.id));
    expect(hits.length / flipped.size).toBeGreaterThanOrEqual(0.8);
    expect(hits.length / body.examples.length).toBeGreaterThanOrEqual(0.7);
    for (const e of hits) expect(e).toMatchObject({ label: 'ants', suspect: { label: 'cats', run: run.id } });
    for (let i = 1; i < body.examples.length; i++) expect(body.examples[i - 1].suspect.score).toBeGreaterThanOrEqual(body.examples[i].suspect.score);

    // Pages follow the same order; a relabel answers the suspicion and the example leaves the list.
    const first = await json(await call('GET', '/v1/examples?suspect=true&limit=1'));
    expect(first.examples[0].id).toBe(body.examples[0].id);
    const second = await json(await call('GET', `/v1/examples?suspect=true&limit=1&cursor=${first.cursor}`));
    expect(second.examples[0].id).toBe(body.examples[1].id);
    const fixed = hits[0].id;
    await call('PATCH', `/v1/examples/${fixed}`, { body: JSON.stringify({ label: 'cats' }), headers: { 'content-type': 'application/json' } });
    const after = await json(await call('GET', '/v1/examples?suspect=true&limit=200'));
    expect(after.examples.map((e: { id: string }) => e.id)).not.toContain(fixed);
    expect(after.examples.length).toBe(body.examples.length - 1);
  });

  it('refuses a suspect value other than true or false', async () => {
    const response = await call('GET', '/v1/examples?suspect=yes');
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('invalid_suspect');
  });
});
