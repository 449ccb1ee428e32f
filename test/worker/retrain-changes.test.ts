import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeEmbedding } from '../../shared/examples/embedding-codec.ts';
import { fixtureNames } from './fixtures.ts';
import { importTinyBackbone } from './helpers.ts';
import { call, ingest, runCron } from './retrain-helpers.ts';

const ants = fixtureNames('hymenoptera/train/ants/').slice(0, 13);
const bees = fixtureNames('hymenoptera/train/bees/').slice(0, 12);

const maxDifference = (a: Float32Array, b: Float32Array) => (a.length === b.length ? Math.max(...a.map((v, i) => Math.abs(v - b[i]))) : Infinity);

/** A run that decided on its data (trained), as opposed to the no-op skip. */
const decided = expect.objectContaining({ status: expect.stringMatching(/^(published|kept)$/) });

describe('the no-op check (a change counter kept by D1) and compact embeddings', () => {
  beforeAll(async () => {
    await importTinyBackbone();
    await env.DB.exec('DELETE FROM examples');
  });

  it('notices an insert, a relabel and a delete; nothing else makes a run train again', async () => {
    const [extraAnt, ...antPhotos] = ants;
    const antIds = await ingest(antPhotos, 'ants');
    await ingest(bees, 'bees');
    expect(await runCron()).toEqual(decided);
    const noop = await runCron();
    expect(noop).toMatchObject({ status: 'skipped', backboneForwards: 0 });
    expect(noop.reason).toContain('no new');

    // A relabel, even of one example, and back.
    expect((await call('PATCH', `/v1/examples/${antIds[0]}`, { body: JSON.stringify({ label: 'bees' }), headers: { 'content-type': 'application/json' } })).status).toBe(200);
    expect(await runCron()).toEqual(decided);
    expect(await runCron()).toMatchObject({ status: 'skipped' });
    // Reading, listing and counting change nothing.
    await call('GET', '/v1/examples?limit=5');
    await call('GET', '/v1/labels');
    expect(await runCron()).toMatchObject({ status: 'skipped' });

    // A delete.
    expect((await call('DELETE', `/v1/examples/${antIds[0]}`)).status).toBe(200);
    expect(await runCron()).toEqual(decided);
    expect(await runCron()).toMatchObject({ status: 'skipped' });

    // An insert; the same photo again (200, not stored twice) is not a change.
    await ingest([extraAnt], 'ants');
    expect(await runCron()).toEqual(decided);
    await ingest([extraAnt], 'ants', 200);
    expect(await runCron()).toMatchObject({ status: 'skipped' });
  });

  it('stores views compactly; converts a row in the old float32 format on the next run and trains on it', async () => {
    const { results } = await env.DB.prepare('SELECT id, embedding, embedding_q8, embedding_flipped_q8 FROM examples ORDER BY id LIMIT 1').all<{
      id: string;
      embedding: number[];
      embedding_q8: string;
      embedding_flipped_q8: string;
    }>();
    const row = results[0];
    expect(row.embedding).toEqual([]);
    const plain = decodeEmbedding(row.embedding_q8);
    const flipped = decodeEmbedding(row.embedding_flipped_q8);
    expect(plain.length).toBe(256);
    expect(flipped).not.toEqual(plain);

    // The row as migration 0001 stored it: float32 blobs, no compact columns.
    const blob = (values: Float32Array) => new Uint8Array(values.buffer.slice(0));
    await env.DB.prepare('UPDATE examples SET embedding = ?, embedding_flipped = ?, embedding_q8 = NULL, embedding_flipped_q8 = NULL WHERE id = ?')
      .bind(blob(plain), blob(flipped), row.id)
      .run();
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM examples').first<{ n: number }>();
    // A relabel elsewhere, so the run trains (conversion alone is no change to the data).
    const other = await env.DB.prepare("SELECT id FROM examples WHERE label = 'bees' ORDER BY id LIMIT 1").first<{ id: string }>();
    await call('PATCH', `/v1/examples/${other!.id}`, { body: JSON.stringify({ label: 'ants' }), headers: { 'content-type': 'application/json' } });
    const run = await runCron();
    expect(run).toEqual(decided);
    expect(run.details.compacted).toBe(1);
    expect(run.examplesTrain! + run.examplesHoldout!).toBe(before!.n);
    const converted = await env.DB.prepare('SELECT embedding, embedding_flipped, embedding_q8, embedding_flipped_q8 FROM examples WHERE id = ?').bind(row.id).first<{
      embedding: number[];
      embedding_flipped: number[];
      embedding_q8: string;
      embedding_flipped_q8: string;
    }>();
    expect(converted!.embedding).toEqual([]);
    expect(converted!.embedding_flipped).toEqual([]);
    // Re-quantising quantised values gives them back (to float32 rounding).
    expect(maxDifference(decodeEmbedding(converted!.embedding_q8), plain)).toBeLessThan(1e-5);
    expect(maxDifference(decodeEmbedding(converted!.embedding_flipped_q8), flipped)).toBeLessThan(1e-5);
    expect(await runCron()).toMatchObject({ status: 'skipped' });
  });
});
