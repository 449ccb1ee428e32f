/**
 * Contract of the labelled-example routes of a model (admin): ingest, list, get, relabel, delete, thumbnail, label
 * counts, rename and delete a label. Paths are relative to `/v1` or `/v1/models/{name}`.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_SECURITY, errorResponses, imageBody, integerQuery, jsonOk, pathParam } from './common.ts';

export const ExampleSchema = z
  .object({
    id: z.string().openapi({ description: "the photo's sha256, 64 lowercase hex characters" }),
    label: z.string(),
    contentType: z.string(),
    bytes: z.number().int(),
    width: z.number().int(),
    height: z.number().int(),
    backboneId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    suspect: z
      .object({ label: z.string(), score: z.number(), run: z.string() })
      .optional()
      .openapi({ description: 'with ?suspect=true: the label the out-of-fold heads give instead, their probability for it, the run' }),
  })
  .openapi('Example');

const LabelText = z.string().openapi({ description: '1-64 characters: letters, marks, digits, space, _ - . \' (stored in NFC)', example: 'bees' });
const IdParams = z.object({ id: pathParam('id', "the example's id (its photo's sha256)", 'a3f1…') });
const admin = { tags: ['examples'], security: ADMIN_SECURITY };

export const addExampleRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/examples',
  summary: 'Add a labelled photo (idempotent: the same photo again answers 200 with the stored example)',
  request: {
    query: z.object({ label: LabelText.optional().openapi({ description: 'the label, with a raw image body' }) }),
    body: imageBody({ label: { type: 'string', description: 'the label, with a multipart body' } }),
  },
  responses: {
    200: { description: 'already stored', content: { 'application/json': { schema: z.object({ example: ExampleSchema, created: z.boolean() }) } } },
    201: { description: 'stored', content: { 'application/json': { schema: z.object({ example: ExampleSchema, created: z.boolean() }) } } },
    ...errorResponses(400, 401, 413, 415, 422, 503),
  },
});

export const listExamplesRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/examples',
  summary: 'List examples by id, or the suspects of the latest run',
  request: {
    query: z.object({
      label: LabelText.optional(),
      limit: integerQuery(1, 200).optional().openapi({ example: 50 }),
      cursor: z.string().optional().openapi({ description: 'the cursor of the previous page' }),
      suspect: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().openapi({ description: 'true: only the suspects of the latest training run, most suspect first' }),
    }),
  },
  responses: {
    ...jsonOk(z.object({ examples: z.array(ExampleSchema), cursor: z.string().nullable() }), 'one page'),
    ...errorResponses(400, 401),
  },
});

export const getExampleRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/examples/{id}',
  summary: 'One example',
  request: { params: IdParams },
  responses: { ...jsonOk(z.object({ example: ExampleSchema }), 'the example'), ...errorResponses(401, 404) },
});

export const getExampleImageRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/examples/{id}/image',
  summary: "An example's original photo",
  request: { params: IdParams },
  responses: {
    200: { description: 'the photo, with its own content type', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
    ...errorResponses(401, 404),
  },
});

export const relabelExampleRoute = createRoute({
  ...admin,
  method: 'patch',
  path: '/examples/{id}',
  summary: 'Relabel an example',
  request: {
    params: IdParams,
    body: { required: true, content: { 'application/json': { schema: z.object({ label: LabelText }) } } },
  },
  responses: { ...jsonOk(z.object({ example: ExampleSchema }), 'the relabelled example'), ...errorResponses(400, 401, 404) },
});

export const deleteExampleRoute = createRoute({
  ...admin,
  method: 'delete',
  path: '/examples/{id}',
  summary: 'Delete an example (its row, then its photo)',
  request: { params: IdParams },
  responses: { ...jsonOk(z.object({ deleted: z.string() }), 'deleted'), ...errorResponses(401, 404) },
});

export const labelsRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/labels',
  summary: 'Labels with their example counts',
  responses: {
    ...jsonOk(z.object({ labels: z.array(z.object({ label: z.string(), count: z.number().int() })), total: z.number().int() }), 'label counts'),
    ...errorResponses(401),
  },
});

const LabelParams = z.object({ label: pathParam('label', 'the label, URL-encoded', 'bees') });

export const renameLabelRoute = createRoute({
  ...admin,
  method: 'patch',
  path: '/labels/{label}',
  summary: 'Rename a label: every example moves to the new one (merged into it if it exists), in one statement',
  request: { params: LabelParams, body: { required: true, content: { 'application/json': { schema: z.object({ label: LabelText }) } } } },
  responses: {
    ...jsonOk(z.object({ from: z.string(), label: z.string(), examples: z.number().int().openapi({ description: 'examples moved' }) }), 'renamed'),
    ...errorResponses(400, 401, 404),
  },
});

export const deleteLabelRoute = createRoute({
  ...admin,
  method: 'delete',
  path: '/labels/{label}',
  summary: 'Delete a label: every example with it (rows first, then their photos)',
  request: { params: LabelParams },
  responses: { ...jsonOk(z.object({ deleted: z.string(), examples: z.number().int() }), 'deleted'), ...errorResponses(400, 401, 404) },
});

export const thumbnailRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/examples/{id}/thumbnail',
  summary: "A PNG of an example's photo, its longer side 160 px (cacheable for ever: the id is the photo's sha256)",
  request: { params: IdParams },
  responses: {
    200: { description: 'the thumbnail', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } },
    ...errorResponses(401, 404, 413, 415, 422),
  },
});
