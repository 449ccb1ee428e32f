import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../shared/config.ts';
import { sha256Hex } from '../../shared/hash.ts';
import { isHoldout } from '../../shared/training/holdout.ts';
import { fixture, fixtureNames } from './fixtures.ts';
import { importTinyBackbone, publishTrainedHead } from './helpers.ts';
import { call, classify, ingest, json, runCron } from './retrain-helpers.ts';

interface Mistake { id: string; run: string; label: string; predicted: string; confidence: number; currentLabel: string | null }

const mistakesOf = async (version: string) => json<{ version: string; mistakes: Mistake[] }>(await call('GET', `/v1/heads/${version}/mistakes`));

describe('GET /v1/heads/:version/mistakes', () => {
  beforeAll(async () => {
    await importTinyBackbone();
  });

  it('lists the holdout photos the published head gets wrong, with its label and confidence, most confident first', async () => {
    // Every cat photo that falls in the holdout is uploaded as "ants": the head (trained on the other cats) must get
    // those wrong, and only holdout photos may be listed.
    const cats = fixtureNames('more/cats/');
    const inHoldout = await Promise.all(cats.map(async (n) => isHoldout(await sha256Hex(fixture(n)), DEFAULT_CONFIG.trainHoldoutPercent)));
    const wrong = cats.filter((_, i) => inHoldout[i]);
    expect(wrong.length).toBeGreaterThanOrEqual(2);
    const antIds = await ingest(fixtureNames('more/ants/'), 'ants');
    const catIds = await ingest(cats.filter((_, i) => !inHoldout[i]), 'cats');
    const wrongIds = await ingest(wrong, 'ants');
    const run = await runCron();
    expect(run.status, run.reason ?? '').toBe('published');
    const version = run.publishedVersion!;

    const { mistakes } = await mistakesOf(version);
    expect(mistakes.length).toBe(run.details.mistakes);
    for (const id of wrongIds) expect(mistakes.find((m) => m.id === id)).toMatchObject({ label: 'ants', predicted: 'cats', currentLabel: 'ants', run: run.id });
    const holdout = new Set([...antIds, ...catIds, ...wrongIds].filter((id) => isHoldout(id, DEFAULT_CONFIG.trainHoldoutPercent)));
    for (const m of mistakes) {
      expect(holdout.has(m.id), m.id).toBe(true);
      expect(m.predicted).not.toBe(m.label);
      expect(m.confidence).toBeGreaterThanOrEqual(0.5);
      expect(m.confidence).toBeLessThanOrEqual(1);
    }
    for (let i = 1; i < mistakes.length; i++) expect(mistakes[i - 1].confidence).toBeGreaterThanOrEqual(mistakes[i].confidence);
    // What the serving head answers for the photo itself agrees with the recorded prediction.
    expect((await classify(wrong[0])).label).toBe('cats');

    // The listing shows each photo's label now: a fix shows, a deleted photo has none.
    await call('PATCH', `/v1/examples/${wrongIds[0]}`, { body: JSON.stringify({ label: 'cats' }), headers: { 'content-type': 'application/json' } });
    await call('DELETE', `/v1/examples/${wrongIds[1]}`);
    const after = (await mistakesOf(version)).mistakes;
    expect(after.find((m) => m.id === wrongIds[0])?.currentLabel).toBe('cats');
    expect(after.find((m) => m.id === wrongIds[1])?.currentLabel).toBeNull();

    // Deleting the head (once another one serves) forgets its mistakes.
    const recorded = () => env.DB.prepare('SELECT COUNT(*) AS n FROM holdout_mistakes WHERE head_version = ?').bind(version).first<{ n: number }>();
    expect((await recorded())!.n).toBe(mistakes.length);
    const other = await publishTrainedHead({ now: new Date(Date.now() + 60_000) });
    expect((await call('POST', `/v1/heads/${other.version}/promote`)).status).toBe(200);
    expect((await call('DELETE', `/v1/heads/${version}`)).status).toBe(200);
    expect((await recorded())!.n).toBe(0);
  });

  it('answers 404 head_not_found for a version that does not exist, 401 without the token', async () => {
    const missing = await call('GET', '/v1/heads/h-20260101T000000Z-00000000/mistakes');
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('head_not_found');
    expect((await call('GET', '/v1/heads/h-20260101T000000Z-00000000/mistakes', { admin: false })).status).toBe(401);
  });
});
