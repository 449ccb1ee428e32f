/** Named models (admin): create, list, describe, reschedule, delete. Routes of one model live under `/v1/models/:name/...`. */
import { OpenAPIHono } from '@hono/zod-openapi';
import { getCurrentHeadPointer } from '../../shared/store/head-store.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { createModelRoute, deleteModelRoute, getModelRoute, listModelsRoute, patchModelRoute } from '../contract/models.ts';
import { D1ModelRegistry } from '../model-registry.ts';
import { modelCacheFor } from '../model-cache.ts';

export const modelAdminRoutes = new OpenAPIHono<AppEnv>()
  .openapi({ ...listModelsRoute, middleware: [requireAdmin] as const }, async (c) => {
    const models = await new D1ModelRegistry(c.env.DB).list();
    const pointers = await Promise.all(models.map((m) => getCurrentHeadPointer(c.env.MODELS, m.name)));
    return c.json({ models: models.map((m, i) => ({ ...m, head: pointers[i]?.version ?? null })) }, 200);
  })
  .openapi({ ...createModelRoute, middleware: [requireAdmin] as const }, async (c) => {
    const body = c.req.valid('json');
    const model = await new D1ModelRegistry(c.env.DB).create(body.name, body.trainEveryMinutes ?? null, new Date());
    return c.json({ model }, 201);
  })
  .openapi({ ...getModelRoute, middleware: [requireAdmin] as const }, async (c) => {
    const { name } = c.req.valid('param');
    const [model, pointer] = await Promise.all([new D1ModelRegistry(c.env.DB).describe(name), getCurrentHeadPointer(c.env.MODELS, name)]);
    return c.json({ model: { ...model, head: pointer?.version ?? null } }, 200);
  })
  .openapi({ ...patchModelRoute, middleware: [requireAdmin] as const }, async (c) => {
    const { name } = c.req.valid('param');
    const model = await new D1ModelRegistry(c.env.DB).setSchedule(name, c.req.valid('json').trainEveryMinutes);
    return c.json({ model }, 200);
  })
  .openapi({ ...deleteModelRoute, middleware: [requireAdmin] as const }, async (c) => {
    const { name } = c.req.valid('param');
    const removed = await new D1ModelRegistry(c.env.DB).delete(name, { kv: c.env.MODELS, bucket: c.env.EXAMPLES }, new Date());
    modelCacheFor(c.env.MODELS).forget(name);
    return c.json({ deleted: name, ...removed }, 200);
  });
