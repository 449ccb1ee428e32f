/** `GET /v1/heads/:version` (admin): one head's whole manifest, with per-label metrics and the confusion matrix. */
import { OpenAPIHono } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/errors.ts';
import { getCurrentHeadPointer, getHeadManifest } from '../../shared/store/head-store.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { getHeadRoute } from '../contract/training.ts';

export const VERSION_PATTERN = /^h-[0-9TZ]+-[0-9a-f]{8}$/;

export const headDetailRoutes = new OpenAPIHono<AppEnv>().openapi({ ...getHeadRoute, middleware: [requireAdmin] as const }, async (c) => {
  const { version } = c.req.valid('param');
  const [manifest, pointer] = await Promise.all([
    VERSION_PATTERN.test(version) ? getHeadManifest(c.env.MODELS, version, c.var.model) : null,
    getCurrentHeadPointer(c.env.MODELS, c.var.model),
  ]);
  if (!manifest) throw new NotFoundError(`head version ${JSON.stringify(version)} does not exist`, 'head_not_found');
  return c.json({ head: manifest, serving: pointer?.version === version }, 200);
});
