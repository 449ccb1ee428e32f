/**
 * `GET /heads/:version` (admin): one head's whole manifest, with per-label metrics and the confusion matrix;
 * `GET /heads/:version/mistakes` (admin): the holdout photos it gets wrong, as its training run recorded them.
 * Per model: under `/v1` or `/v1/models/:name`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/errors.ts';
import { getCurrentHeadPointer, getHeadManifest } from '../../shared/store/head-store.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { getHeadRoute, headMistakesRoute } from '../contract/training.ts';
import { D1MistakeStore } from '../mistake-store.ts';

export const VERSION_PATTERN = /^h-[0-9TZ]+-[0-9a-f]{8}$/;

async function requireManifest(kv: KVNamespace, version: string, model: string) {
  const manifest = VERSION_PATTERN.test(version) ? await getHeadManifest(kv, version, model) : null;
  if (!manifest) throw new NotFoundError(`head version ${JSON.stringify(version)} does not exist`, 'head_not_found');
  return manifest;
}

export const headDetailRoutes = new OpenAPIHono<AppEnv>()
  .openapi({ ...getHeadRoute, middleware: [requireAdmin] as const }, async (c) => {
    const { version } = c.req.valid('param');
    const [manifest, pointer] = await Promise.all([requireManifest(c.env.MODELS, version, c.var.model), getCurrentHeadPointer(c.env.MODELS, c.var.model)]);
    return c.json({ head: manifest, serving: pointer?.version === version }, 200);
  })
  .openapi({ ...headMistakesRoute, middleware: [requireAdmin] as const }, async (c) => {
    const { version } = await requireManifest(c.env.MODELS, c.req.valid('param').version, c.var.model);
    // Heads published by `edgehead push` or before migration 0005 have none recorded: an empty list.
    const mistakes = await new D1MistakeStore(c.env.DB, c.var.model).list(version);
    return c.json({ version, mistakes }, 200);
  });
