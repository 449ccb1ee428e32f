import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { startTfBackend } from '../tf-backend.ts';

export const healthRoutes = new Hono<AppEnv>().get('/healthz', async (c) => {
  const [backend, status] = await Promise.all([startTfBackend(), c.var.models.status()]);
  return c.json({
    ok: true,
    backend: backend.backend,
    simd: backend.simd,
    threads: backend.threads,
    backbone: status.backboneId,
    head: status.headVersion,
  });
});
