/** Named models (admin): create, list, describe, reschedule, delete. Routes of one model live under `/v1/models/:name/...`. */
import { Hono } from 'hono';
import { BadRequestError } from '../../shared/errors.ts';
import { validateModelName } from '../../shared/models/model-name.ts';
import { getCurrentHeadPointer } from '../../shared/store/head-store.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { D1ModelRegistry } from '../model-registry.ts';
import { modelCacheFor } from '../model-cache.ts';

/** `trainEveryMinutes`: absent or null (every cron tick), else an integer from 1 to 525600 (a year). */
function trainEveryMinutes(raw: unknown): number | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 && raw <= 525_600) return raw;
  throw new BadRequestError(`trainEveryMinutes must be null or an integer from 1 to 525600, got ${JSON.stringify(raw)}`, 'invalid_schedule');
}

async function jsonObject(request: Request): Promise<Record<string, unknown>> {
  const body = (await request.json().catch(() => undefined)) as unknown;
  if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  throw new BadRequestError('the body must be a JSON object, e.g. {"name":"birds"}', 'invalid_json');
}

export const modelAdminRoutes = new Hono<AppEnv>()
  .use('/v1/models', requireAdmin)
  .use('/v1/models/:name', requireAdmin)
  .get('/v1/models', async (c) => {
    const models = await new D1ModelRegistry(c.env.DB).list();
    const pointers = await Promise.all(models.map((m) => getCurrentHeadPointer(c.env.MODELS, m.name)));
    return c.json({ models: models.map((m, i) => ({ ...m, head: pointers[i]?.version ?? null })) });
  })
  .post('/v1/models', async (c) => {
    const body = await jsonObject(c.req.raw);
    const model = await new D1ModelRegistry(c.env.DB).create(validateModelName(body.name), trainEveryMinutes(body.trainEveryMinutes), new Date());
    return c.json({ model }, 201);
  })
  .get('/v1/models/:name', async (c) => {
    const name = validateModelName(c.req.param('name'));
    const [model, pointer] = await Promise.all([new D1ModelRegistry(c.env.DB).describe(name), getCurrentHeadPointer(c.env.MODELS, name)]);
    return c.json({ model: { ...model, head: pointer?.version ?? null } });
  })
  .patch('/v1/models/:name', async (c) => {
    const name = validateModelName(c.req.param('name'));
    const body = await jsonObject(c.req.raw);
    if (!('trainEveryMinutes' in body)) throw new BadRequestError('the body must set trainEveryMinutes (null: every cron tick)', 'invalid_schedule');
    const model = await new D1ModelRegistry(c.env.DB).setSchedule(name, trainEveryMinutes(body.trainEveryMinutes));
    return c.json({ model });
  })
  .delete('/v1/models/:name', async (c) => {
    const name = validateModelName(c.req.param('name'));
    const removed = await new D1ModelRegistry(c.env.DB).delete(name, { kv: c.env.MODELS, bucket: c.env.EXAMPLES }, new Date());
    modelCacheFor(c.env.MODELS).forget(name);
    return c.json({ deleted: name, ...removed });
  });
