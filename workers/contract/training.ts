/** Contract of retraining and head versions (admin): train now, runs, heads, one head, promote, prune. */
import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_SECURITY, errorResponses, integerQuery, jsonOk, pathParam } from './common.ts';
import { HeadManifestSchema } from './model.ts';

const RunSchema = z
  .object({
    id: z.string(),
    trigger: z.enum(['cron', 'manual']),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    status: z.enum(['running', 'published', 'kept', 'skipped', 'failed', 'abandoned']),
    reason: z.string().nullable(),
    examplesTrain: z.number().int().nullable(),
    examplesHoldout: z.number().int().nullable(),
    reEmbedded: z.number().int(),
    backboneForwards: z.number().int(),
    servingVersion: z.string().nullable(),
    publishedVersion: z.string().nullable(),
    fingerprint: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).openapi({ description: "both heads' holdout accuracy, the guard's numbers, the training stats" }),
  })
  .openapi('Run');

const HeadSummarySchema = z
  .object({
    version: z.string(),
    serving: z.boolean(),
    labels: z.array(z.string()),
    backboneId: z.string(),
    trainedAt: z.string(),
    metrics: z.object({ accuracy: z.number(), balancedAccuracy: z.number(), macroF1: z.number(), n: z.number() }).nullable(),
    training: z.record(z.string(), z.unknown()),
  })
  .openapi('HeadSummary');

const PointerSchema = z.object({ version: z.string(), backboneId: z.string(), publishedAt: z.string() }).openapi('HeadPointer');
const VersionParams = z.object({ version: pathParam('version', 'a head version', 'h-20261128T193427Z-18c3e9a7') });
const admin = { tags: ['training'], security: ADMIN_SECURITY };

export const trainRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/train',
  summary: 'Run the retraining job now',
  responses: { ...jsonOk(z.object({ run: RunSchema }), 'the finished run (a failed run has status "failed" and the reason)'), ...errorResponses(401, 409) },
});

export const listRunsRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/runs',
  summary: 'Training runs, newest first',
  request: {
    query: z.object({
      limit: integerQuery(1, 100).optional().openapi({ example: 20 }),
      cursor: z.string().optional(),
    }),
  },
  responses: { ...jsonOk(z.object({ runs: z.array(RunSchema), cursor: z.string().nullable() }), 'one page'), ...errorResponses(400, 401) },
});

export const getRunRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/runs/{id}',
  summary: 'One training run',
  request: { params: z.object({ id: pathParam('id', 'a run id', 'r-20261128T193427Z-1a2b3c4d') }) },
  responses: { ...jsonOk(z.object({ run: RunSchema }), 'the run'), ...errorResponses(401, 404) },
});

export const listHeadsRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/heads',
  summary: 'Stored head versions, newest first',
  responses: { ...jsonOk(z.object({ serving: z.string().nullable(), heads: z.array(HeadSummarySchema) }), 'the versions'), ...errorResponses(401) },
});

export const getHeadRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/heads/{version}',
  summary: "One head's whole manifest, with per-label metrics and the confusion matrix",
  request: { params: VersionParams },
  responses: { ...jsonOk(z.object({ head: HeadManifestSchema, serving: z.boolean() }), 'the manifest'), ...errorResponses(401, 404) },
});

export const promoteHeadRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/heads/{version}/promote',
  summary: 'Serve this version (rollback or roll-forward)',
  request: { params: VersionParams },
  responses: { ...jsonOk(z.object({ serving: PointerSchema }), 'the new pointer'), ...errorResponses(401, 404) },
});

export const deleteHeadRoute = createRoute({
  ...admin,
  method: 'delete',
  path: '/heads/{version}',
  summary: 'Prune a stored version (never the serving one)',
  request: { params: VersionParams },
  responses: { ...jsonOk(z.object({ deleted: z.string() }), 'deleted'), ...errorResponses(401, 404, 409) },
});

export const rollbackRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/heads/rollback',
  summary: 'Serve the head trained before the serving one (undo the last publish)',
  responses: { ...jsonOk(z.object({ serving: PointerSchema, previous: z.string() }), 'the new pointer and the version it replaced'), ...errorResponses(401, 409) },
});

const MistakeSchema = z
  .object({
    id: z.string().openapi({ description: 'the example' }),
    run: z.string().openapi({ description: 'the run that published the head' }),
    label: z.string().openapi({ description: "the example's label when the run judged it" }),
    predicted: z.string().openapi({ description: "the head's top label" }),
    confidence: z.number().openapi({ description: "the head's probability of that label" }),
    currentLabel: z.string().nullable().openapi({ description: "the example's label now; null once it is deleted" }),
  })
  .openapi('HoldoutMistake');

export const headMistakesRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/heads/{version}/mistakes',
  summary: 'The holdout photos this head gets wrong, most confident first (at most 100, recorded by its training run)',
  request: { params: VersionParams },
  responses: { ...jsonOk(z.object({ version: z.string(), mistakes: z.array(MistakeSchema) }), 'the mistakes (none for pushed heads)'), ...errorResponses(401, 404) },
});
