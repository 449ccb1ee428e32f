/**
 * `GET /v1/heads/:version` (admin): one head's whole manifest, with per-label metrics and the confusion matrix;
 * `GET /v1/heads/:version/mistakes` (admin): the holdout photos it gets wrong, as its training run recorded them.
 */
import { Hono } from 'hono';
import { NotFoundError } from '../../shared/errors.ts';
import { getCurrentHeadPointer, getHeadManifest } from '../../shared/store/head-store.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { D1MistakeStore } from '../mistake-store.ts';

const VERSION_PATTERN = /^h-[0-9TZ]+-[0-9a-f]{8}$/;

async function requireManifest(kv: KVNamespace, version: string) {
  const manifest = VERSION_PATTERN.test(version) ? await getHeadManifest(kv, version) : null;
  if (!manifest) throw new NotFoundError(`head version ${JSON.stringify(version)} does not exist`, 'head_not_found');
  return manifest;
}

export const headDetailRoutes = new Hono<AppEnv>()
  .get('/v1/heads/:version', requireAdmin, async (c) => {
    const version = c.req.param('version');
    const [manifest, pointer] = await Promise.all([requireManifest(c.env.MODELS, version), getCurrentHeadPointer(c.env.MODELS)]);
    return c.json({ head: manifest, serving: pointer?.version === version });
  })
  .get('/v1/heads/:version/mistakes', requireAdmin, async (c) => {
    const { version } = await requireManifest(c.env.MODELS, c.req.param('version'));
    // Heads published by `edgehead push` or before migration 0005 have none recorded: an empty list.
    const mistakes = await new D1MistakeStore(c.env.DB).list(version);
    return c.json({ version, mistakes });
  });
