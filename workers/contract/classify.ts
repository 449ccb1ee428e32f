/** Contract of `POST /v1/classify` and `POST /v1/embed`: the public image routes. */
import { createRoute, z } from '@hono/zod-openapi';
import { ErrorSchema, errorResponses, imageBody, integerQuery, jsonOk } from './common.ts';

const PredictionSchema = z.object({ label: z.string(), score: z.number() }).openapi('Prediction');

const OodSchema = z.object({ score: z.number(), threshold: z.number() }).openapi({ description: 'out-of-distribution score (heads of format v3)' });

const ModelAnswerSchema = z.object({
  label: z.string().nullable().openapi({ description: 'the decision: the best label when its score reaches its threshold, else null' }),
  score: z.number(),
  threshold: z.number(),
  reason: z.enum(['below_threshold', 'background', 'out_of_distribution']).optional().openapi({ description: 'why label is null' }),
  candidate: z.string().optional().openapi({ description: 'the label it would have been, when label is null' }),
  ood: OodSchema.optional(),
  predictions: z.array(PredictionSchema),
  model: z.object({
    head: z.string(),
    backbone: z.string(),
    engine: z.enum(['int8-simd', 'float32-tfjs']).openapi({ description: 'what ran the backbone: the int8 engine (quantised backbones) or the float tfjs path' }),
  }),
});

const timingFields = { load: z.number(), decode: z.number(), resize: z.number(), forward: z.number(), head: z.number(), total: z.number() };

export const ClassifySchema = ModelAnswerSchema.extend({
  timing_ms: z.object(timingFields).openapi({ description: 'milliseconds; the same split is sent as the Server-Timing header' }),
}).openapi('Classification');

/** `?models=a,b`: each model's answer (or its error, e.g. no head yet) from one backbone forward per distinct backbone. */
export const MultiClassifySchema = z
  .object({
    models: z.record(z.string(), z.union([ModelAnswerSchema, ErrorSchema])).openapi({ description: "by model name: the model's answer, or its error" }),
    timing_ms: z
      .object({ ...timingFields, forwards: z.number().int().openapi({ description: 'backbone forwards run (one per distinct backbone)' }) })
      .openapi({ description: 'milliseconds, summed over the forwards; also the Server-Timing header' }),
  })
  .openapi('MultiClassification');

export const ClassifyQuerySchema = z.object({
  top_k: integerQuery(1)
    .optional()
    .openapi({ description: 'predictions returned (default DEFAULT_TOP_K, 5); more than the labels returns them all', example: 3 }),
  min_score: z
    .string()
    .trim()
    .min(1, 'must be a number in [0, 1]')
    .pipe(z.coerce.number<string>({ error: 'must be a number in [0, 1]' }).min(0, 'must be a number in [0, 1]').max(1, 'must be a number in [0, 1]'))
    .optional()
    .openapi({ type: 'number', minimum: 0, maximum: 1, description: "replaces the head's per-label thresholds for this request" }),
  model: z.string().optional().openapi({ description: 'a named model to answer (default: "default"); 404 unknown_model', example: 'birds' }),
  models: z
    .string()
    .optional()
    .openapi({ description: 'several models, comma-separated (at most 16), answered from one backbone forward; not with model', example: 'birds,insects' }),
});

export const classifyRoute = createRoute({
  method: 'post',
  path: '/v1/classify',
  tags: ['classify'],
  summary: 'Classify an image with the serving head',
  request: { query: ClassifyQuerySchema, body: imageBody() },
  responses: {
    200: {
      description: 'the decision and the top predictions; with ?models=, each model\'s answer by name',
      headers: z.object({ 'server-timing': z.string().openapi({ example: 'load;dur=0, decode;dur=4, resize;dur=1, forward;dur=31, head;dur=0, total;dur=37' }) }),
      content: { 'application/json': { schema: z.union([ClassifySchema, MultiClassifySchema]) } },
    },
    ...errorResponses(400, 404, 413, 415, 422, 503),
  },
});

export const EmbeddingSchema = z
  .object({ backbone: z.string(), dimensions: z.number().int(), embedding: z.array(z.number()) })
  .openapi('Embedding');

export const embedRoute = createRoute({
  method: 'post',
  path: '/v1/embed',
  tags: ['classify'],
  summary: "The frozen backbone's embedding of an image",
  request: { body: imageBody() },
  responses: { ...jsonOk(EmbeddingSchema, 'the embedding'), ...errorResponses(400, 413, 415, 422, 503) },
});
