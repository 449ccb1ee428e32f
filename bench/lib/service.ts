/**
 * The real edge service for the end-to-end figures: a fresh local state (temp dir) with the backbone imported
 * and a head published, served by `wrangler dev --persist-to` with the project's own wrangler.toml.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPlatformProxy } from 'wrangler';
import { makeSyntheticSet } from '../../shared/head/synthetic-set.ts';
import { trainHead } from '../../shared/head/train-head.ts';
import { publishHead } from '../../shared/store/head-store.ts';
import { importBackbone } from '../../shared/store/import-backbone.ts';
import type { KvLike } from '../../shared/store/kv-like.ts';
import { PROJECT_ROOT, wranglerBin } from '../../trainer/model-store.ts';
import { backboneBytes, BACKBONE_NAME, BACKBONE_PATH } from './fixtures.ts';
import { startWranglerDev, type DevServer } from './wrangler-dev.ts';

/** Makes a state dir holding the backbone and a 2-label head (trained on synthetic 1280-d embeddings). */
export async function prepareServiceState(): Promise<{ state: string; backboneId: string }> {
  const state = mkdtempSync(join(tmpdir(), 'edgehead-bench-state-'));
  const proxy = await getPlatformProxy<{ MODELS: KvLike }>({ configPath: join(PROJECT_ROOT, 'wrangler.toml'), persist: { path: join(state, 'v3') } });
  let backboneId = '';
  try {
    const bytes = backboneBytes();
    const { manifest } = await importBackbone(
      proxy.env.MODELS,
      bytes,
      { name: BACKBONE_NAME, source: BACKBONE_PATH, licence: 'Apache-2.0 (google-coral/test_data)' },
      new Date(),
    );
    backboneId = manifest.id;
    const set = makeSyntheticSet({ counts: [60, 60], embeddingSize: manifest.spec.embeddingSize, seed: 5, labels: ['ants', 'bees'] });
    const { head } = trainHead(set, { seed: 1, maxIterations: 30 });
    await publishHead(proxy.env.MODELS, head, { backboneId: manifest.id, metrics: null, training: { bench: true } }, new Date());
  } finally {
    await proxy.dispose();
  }
  return { state, backboneId };
}

/** Applies the project's D1 migrations to a state dir (wrangler dev does not). */
export function applyMigrations(state: string): void {
  execFileSync(process.execPath, [wranglerBin(), 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CI: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    stdio: 'ignore',
  });
}

/**
 * Probes with a 404 route, so the isolate is up but no model or backend is loaded yet (cold start). The rate
 * limit is off: a load test from one address is not abuse.
 */
export function startService(state: string, extraArgs: string[] = []): Promise<DevServer> {
  return startWranglerDev(['--persist-to', state, '--var', 'RATE_LIMIT:off', ...extraArgs], '/nope');
}
