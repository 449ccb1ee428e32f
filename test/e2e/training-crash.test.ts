/**
 * A training run whose workerd is killed ends `abandoned`, and the next training starts as soon as the dead run's
 * lease goes stale (TRAIN_LEASE_SECONDS, 6 s here; 90 s by default), not after 15 minutes. Real wrangler dev on
 * a real local state; the run is kept `running` long enough to be killed by re-embedding the stored photos onto a
 * bigger backbone (imported after they were pushed with the small one).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../bench/lib/service.ts';
import { startWranglerDev, type DevServer } from '../../bench/lib/wrangler-dev.ts';
import { ensureAdminToken, readDevVarsToken } from '../../trainer/serve-command.ts';
import { backbonePath, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';
import { isAlive } from '../helpers/process-tree.ts';
import { runCli } from '../helpers/run-cli.ts';

const LEASE_SECONDS = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Size and mtime of the local D1 database's write-ahead log (miniflare keeps it under STATE/v3/d1). */
function d1Log(state: string): string {
  const dir = join(state, 'v3', 'd1', 'miniflare-D1DatabaseObject');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sqlite-wal') && !f.startsWith('metadata'))
    .map((f) => statSync(join(dir, f)))
    .map((s) => `${s.size}@${s.mtimeMs}`)
    .join();
}

/** Waits (up to 60 s, or until `pending()` settles) for the local D1 to be written; true if it was. */
async function d1Written(state: string, pending: () => Promise<unknown>): Promise<boolean> {
  const before = d1Log(state);
  let settled = false;
  void pending().then(() => (settled = true));
  for (const deadline = Date.now() + 60_000; Date.now() < deadline && !settled; await sleep(20)) {
    if (d1Log(state) !== before) return true;
  }
  return false;
}

interface Run {
  id: string;
  status: string;
  reason?: string;
  details: { abandoned?: string[]; skip?: string };
}

describe('a training run whose workerd dies', () => {
  const state = tempDir('crash-state');
  const env = { EDGEHEAD_STATE_DIR: state, EDGEHEAD_CACHE_DIR: tempDir('crash-cache') };
  let server: DevServer | undefined;
  afterEach(() => server?.stop());

  const start = () => startWranglerDev(['--persist-to', state, '--var', `TRAIN_LEASE_SECONDS:${LEASE_SECONDS}`, '--var', 'RATE_LIMIT:off']);

  it('ends abandoned and the next run starts once its lease is stale', async () => {
    ensureAdminToken(() => {});
    const token = readDevVarsToken()!;
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${server!.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } });
    const imported = await runCli(['backbone', 'import', backbonePath('mobilenet_v1_0.25_128_quant')], env);
    expect(imported.code, imported.stderr).toBe(0);
    applyMigrations(state);
    server = await start();
    const pushed = await runCli(['push', '--data', smallImageFolder(8), '--url', server.url, '--token', token, '--json'], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    const bigger = await runCli(['backbone', 'import', backbonePath('mobilenet_v2_1.0_224_quant')], env);
    expect(bigger.code, bigger.stderr).toBe(0);

    // 1. A run re-embedding 16 photos with MobileNetV2: kill its workerd while it runs.
    const training = call('/v1/train', { method: 'POST' }).then((r) => r.status, () => 'connection lost');
    // While it runs the service answers nothing else (measured: a GET /v1/runs sent with it returned only after
    // the run, 7.9 s later), and polling D1 through a second miniflare once made the training request fail with a
    // 500: the run's first write (its `running` row) is seen as the local D1 log file changing. The run then
    // re-embeds for seconds; the kill comes 500 ms in.
    const changed = await d1Written(state, () => training);
    expect(changed, `D1 was written (POST /v1/train: ${await Promise.race([training, sleep(10).then(() => 'pending')])})`).toBe(true);
    await sleep(500);
    for (const pid of server.workerdPids) process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    // wrangler's proxy answers the request the dead workerd held with a 503 (or drops it).
    expect([503, 'connection lost']).toContain(await training);
    expect(server.workerdPids.filter(isAlive)).toEqual([]);
    await server.stop();

    // 2. The service restarted on the same state: the dead run still holds the lease for up to LEASE_SECONDS
    // (409), then the next run takes it over, marks the dead one abandoned, and trains.
    server = await start();
    const { runs: left } = (await (await call('/v1/runs?limit=1')).json()) as { runs: Run[] };
    expect(left[0]?.status, 'the killed run is left running').toBe('running');
    const running = left[0];
    type Answer = { run?: Run; error?: { code: string } };
    let next: { status: number; body: Answer };
    do {
      const response = await call('/v1/train', { method: 'POST' });
      next = { status: response.status, body: (await response.json()) as Answer };
      if (next.status === 409) expect(next.body.error?.code).toBe('training_in_progress');
    } while (next.status === 409 && Date.now() - killedAt < 60_000 && (await sleep(500), true));
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(Date.now() - killedAt).toBeLessThan(60_000);
    expect(next.body.run!.details.abandoned).toEqual([running!.id]);
    const { run: dead } = (await (await call(`/v1/runs/${running!.id}`)).json()) as { run: Run };
    expect(dead.status).toBe('abandoned');
    expect(dead.reason).toContain(next.body.run!.id);
  });
});
