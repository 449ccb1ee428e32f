/**
 * Contract of the named models (admin): create, list, describe, reschedule, delete; and the `name` path parameter
 * of every route mounted under `/v1/models/{name}` (workers/routes/model-scoped.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { MODEL_NAME_PATTERN } from '../../shared/models/model-name.ts';
import { ADMIN_SECURITY, errorResponses, jsonOk } from './common.ts';

const NAME_MESSAGE = 'must be 1 to 32 characters of a-z, 0-9 and "-"';
const SCHEDULE_MESSAGE = 'must be null or an integer from 1 to 525600';

export const ModelName = z
  .string()
  .regex(MODEL_NAME_PATTERN, NAME_MESSAGE)
  .openapi({ description: 'a model name: 1-32 of a-z, 0-9, "-"; "default" is the model of the /v1/... routes', example: 'birds' });

const Schedule = z
  .number({ error: SCHEDULE_MESSAGE })
  .int(SCHEDULE_MESSAGE)
  .min(1, SCHEDULE_MESSAGE)
  .max(525_600, SCHEDULE_MESSAGE)
  .nullable()
  .openapi({ description: 'minutes between scheduled retrains; null: every cron tick', example: 1440 });

const ModelSchema = z.object({ name: z.string(), createdAt: z.string(), trainEveryMinutes: z.number().int().nullable() });

export const ModelInfoSchema = ModelSchema.extend({
  examples: z.number().int(),
  head: z.string().nullable().openapi({ description: 'the serving head version, null before the first publish' }),
}).openapi('NamedModel');

/** The path parameter of `/v1/models/{name}` and of every per-model route under it. */
export const ModelNameParam = {
  name: 'name',
  in: 'path' as const,
  required: true,
  description: 'the model; 404 unknown_model when it was never created',
  schema: { type: 'string' as const, pattern: MODEL_NAME_PATTERN.source, example: 'birds' },
};

const NameParams = z.object({ name: ModelName.openapi({ param: { name: 'name', in: 'path' } }) });
const admin = { tags: ['models'], security: ADMIN_SECURITY };
const json = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });

export const listModelsRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/v1/models',
  summary: 'Every model with its example count and serving head',
  responses: { ...jsonOk(z.object({ models: z.array(ModelInfoSchema) }), 'the models, by name'), ...errorResponses(401) },
});

export const createModelRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/v1/models',
  summary: 'Create a named model (its routes are /v1/models/{name}/...)',
  request: { body: json(z.object({ name: ModelName, trainEveryMinutes: Schedule.optional() })) },
  responses: { 201: { description: 'created', content: { 'application/json': { schema: z.object({ model: ModelSchema }) } } }, ...errorResponses(400, 401, 409) },
});

export const getModelRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/v1/models/{name}',
  summary: 'One model',
  request: { params: NameParams },
  responses: { ...jsonOk(z.object({ model: ModelInfoSchema }), 'the model'), ...errorResponses(400, 401, 404) },
});

export const patchModelRoute = createRoute({
  ...admin,
  method: 'patch',
  path: '/v1/models/{name}',
  summary: "Change a model's training schedule",
  request: { params: NameParams, body: json(z.object({ trainEveryMinutes: Schedule })) },
  responses: { ...jsonOk(z.object({ model: ModelSchema }), 'the model'), ...errorResponses(400, 401, 404) },
});

export const deleteModelRoute = createRoute({
  ...admin,
  method: 'delete',
  path: '/v1/models/{name}',
  summary: 'Delete a model with its examples, photos, heads and runs (never "default")',
  request: { params: NameParams },
  responses: {
    ...jsonOk(z.object({ deleted: z.string(), heads: z.number().int(), examples: z.number().int() }), 'what was removed'),
    ...errorResponses(400, 401, 404, 409),
  },
});
