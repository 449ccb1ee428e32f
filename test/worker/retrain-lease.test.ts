/** The training lease heartbeats: a run whose process died is abandoned by the next run, never left running. */
import { env } from 'cloudflare:test';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../shared/config.ts';
import type { RunRecord } from '../../shared/training/run-record.ts';
import { runTraining } from '../../workers/training.ts';
import { fixtureNames } from './fixtures.ts';
import { importTinyBackbone } from './helpers.ts';
import { call, ingest, json } from './retrain-helpers.ts';

const LEASE_MS = DEFAULT_CONFIG.trainLeaseSeconds * 1000;

/** A run row left `running` by a process that died, and its lease row expiring at `leaseExpiresAt`. */
async function deadRun(id: string, leaseExpiresAt: number): Promise<void> {
  await env.DB.prepare("INSERT INTO runs (id, trigger, started_at, status) VALUES (?, 'manual', ?, 'running')").bind(id, new Date(leaseExpiresAt - LEASE_MS).toISOString()).run();
  await env.DB.prepare('INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)').bind('training', id, leaseExpiresAt).run();
}

async function run(id: string): Promise<RunRecord> {
  return (await json<{ run: RunRecord }>(await call('GET', `/v1/runs/${id}`))).run;
}

/** A clock that moves `stepMs` forward at every reading (workerd's own clock stands still during CPU work). */
function steppingClock(stepMs: number): () => Date {
  let t = Date.now();
  return () => new Date((t += stepMs));
}

describe('training lease heartbeat', () => {
  beforeAll(async () => {
    await importTinyBackbone();
    await env.DB.exec('DELETE FROM examples');
    await ingest(fixtureNames('hymenoptera/train/ants/').slice(0, 4), 'ants');
    await ingest(fixtureNames('hymenoptera/train/bees/').slice(0, 4), 'bees');
  });
  beforeEach(async () => {
    await env.DB.exec('DELETE FROM leases');
    await env.DB.exec('DELETE FROM runs');
  });

  it('marks a run left running with a stale lease abandoned, and the next run proceeds', async () => {
    await deadRun('run-dead', Date.now() - 1);
    const response = await call('POST', '/v1/train');
    const body = await json<{ run: RunRecord }>(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    // It ran to the data check (4 examples per label are below TRAIN_MIN_EXAMPLES).
    expect(body.run).toMatchObject({ status: 'kept', reason: expect.stringContaining('every label needs at least 10 examples') });
    expect(body.run.details.abandoned).toEqual(['run-dead']);
    const dead = await run('run-dead');
    expect(dead.status).toBe('abandoned');
    expect(dead.finishedAt).toBe(body.run.startedAt);
    expect(dead.reason).toContain('stopped heartbeating');
    expect(dead.reason).toContain(body.run.id);
    // Nothing is left running, and the lease is free for the next run.
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM runs WHERE status = 'running'").first<{ n: number }>();
    expect(left!.n).toBe(0);
    expect((await call('POST', '/v1/train')).status).toBe(200);
  });

  it('a live lease still gives 409 and a skipped run, and leaves the running run alone', async () => {
    await deadRun('run-live', Date.now() + LEASE_MS);
    const response = await call('POST', '/v1/train');
    expect(response.status).toBe(409);
    expect((await json(response)).error.code).toBe('training_in_progress');
    expect((await run('run-live')).status).toBe('running');
    const skipped = (await env.DB.prepare("SELECT status, details FROM runs WHERE id != 'run-live'").all<{ status: string; details: string }>()).results;
    expect(skipped.map((r) => [r.status, JSON.parse(r.details).skip])).toEqual([['skipped', 'lease_held']]);
  });

  it('renews the lease at awaited steps: a run whose clock moves a third of the lease per step keeps it', async () => {
    const done = await runTraining(env, DEFAULT_CONFIG, 'manual', steppingClock(LEASE_MS / 3));
    expect(done).toMatchObject({ status: 'kept', reason: expect.stringContaining('every label needs at least 10 examples') });
    // Without renewals the lease would have expired steps before the end (the next test: a run that misses one stops).
    expect(new Date(done.finishedAt!).getTime() - new Date(done.startedAt).getTime()).toBeGreaterThan(2 * LEASE_MS);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM leases').first<{ n: number }>()).toEqual({ n: 0 });
  });

  it('a run that misses its heartbeat (lease expired between steps) stops without publishing', async () => {
    const done = await runTraining(env, DEFAULT_CONFIG, 'manual', steppingClock(LEASE_MS + 1));
    expect(done.status).toBe('kept');
    expect(done.reason).toContain('lost the training lease');
    expect(done.details.conflict).toBe('lease_lost');
    expect(done.publishedVersion).toBeNull();
  });
});
