/** Contract of taking the model away (admin): a head's weights and a backbone's source file. */
import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_SECURITY, errorResponses, pathParam } from './common.ts';

const binary = { type: 'string', format: 'binary' } as const;
const admin = { tags: ['training'], security: ADMIN_SECURITY };

const HeadWeightsSchema = z
  .object({
    version: z.string(),
    weightsSha256: z.string(),
    backbone: z.object({ id: z.string() }).catchall(z.unknown()),
    calibration: z.record(z.string(), z.unknown()).nullable(),
    backgroundLabel: z.string().nullable(),
    head: z.record(z.string(), z.unknown()).openapi({ description: 'labels, weights, bias, temperature, thresholds, OOD statistics (shared/head/head-json.ts)' }),
  })
  .openapi('HeadWeights');

export const getHeadWeightsRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/heads/{version}/weights',
  summary: "A head's weights: JSON, or the stored binary with Accept: application/octet-stream",
  request: { params: z.object({ version: pathParam('version', 'a head version', 'h-20261128T193427Z-18c3e9a7') }) },
  responses: {
    200: {
      description: 'the head as JSON, or its stored bytes (ETag and x-content-sha256 carry their sha256)',
      content: { 'application/json': { schema: HeadWeightsSchema }, 'application/octet-stream': { schema: binary } },
    },
    ...errorResponses(401, 404),
  },
});

export const getBackboneFileRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/v1/backbones/{id}/tflite',
  summary: "A stored backbone's source .tflite file, byte for byte",
  request: { params: z.object({ id: pathParam('id', 'a backbone id', 'bb-0123456789abcdef') }) },
  responses: { 200: { description: 'the .tflite file', content: { 'application/octet-stream': { schema: binary } } }, ...errorResponses(401, 404) },
});
