/** Contract of `GET /v1/model` and `GET /healthz`: what is serving, and whether the service is up. */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonOk } from './common.ts';

const looseRecord = z.record(z.string(), z.unknown());

/** A head's manifest: the fields clients use are typed; metrics, calibration and transfer are documented objects. */
export const HeadManifestSchema = z
  .looseObject({
    version: z.string().openapi({ example: 'h-20261128T193427Z-18c3e9a7' }),
    labels: z.array(z.string()),
    backboneId: z.string(),
    embeddingSize: z.number().int(),
    metrics: looseRecord.nullable().openapi({ description: 'holdout metrics: accuracy, balancedAccuracy, macroF1, n, perClass, confusion' }),
    training: looseRecord,
    trainedAt: z.string(),
    weightsSha256: z.string(),
    weightsBytes: z.number().int(),
    calibration: looseRecord.optional().openapi({ description: 'temperature, ECE before/after, per-label thresholds, reliability bins' }),
    transfer: looseRecord.optional().openapi({ description: 'validation accuracy against the majority-label and colour-histogram baselines' }),
    backgroundLabel: z.string().nullable().optional(),
  })
  .openapi('HeadManifest');

const ModelSchema = z
  .object({
    warnings: z.array(z.string()),
    head: HeadManifestSchema,
    backbone: z.object({
      id: z.string(),
      name: z.string(),
      source: z.string(),
      sourceSha256: z.string(),
      licence: z.string(),
      spec: looseRecord.openapi({ description: 'input size, normalisation, embedding size' }),
    }),
  })
  .openapi('Model');

export const modelRoute = createRoute({
  method: 'get',
  path: '/model',
  tags: ['classify'],
  summary: 'The serving head and its backbone',
  responses: { ...jsonOk(ModelSchema, 'the serving model'), ...errorResponses(503) },
});

const HealthSchema = z
  .object({
    ok: z.boolean(),
    backend: z.string().openapi({ example: 'wasm' }),
    simd: z.boolean(),
    threads: z.number().int(),
    resize: z.string().openapi({ description: 'wasm-simd or js: which code turns decoded JPEG planes into the model input' }),
    backbone: z.string().nullable(),
    head: z.string().nullable(),
  })
  .openapi('Health');

export const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['service'],
  summary: 'Liveness, the TF backend, and what is serving',
  responses: { ...jsonOk(HealthSchema, 'the service is up'), ...errorResponses() },
});
