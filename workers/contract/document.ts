/** The OpenAPI 3.1 document: its header, the admin security scheme, and the routes that serve it. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { errorResponses } from './common.ts';
import { ModelNameParam } from './models.ts';

export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

export const DOCUMENT_CONFIG: Parameters<OpenAPIHono['getOpenAPI31Document']>[0] = {
  openapi: '3.1.0',
  info: {
    title: 'edgehead',
    version: '0.1.0',
    description:
      'Image classification at the edge: a frozen pretrained backbone plus a trained head. Every error is `{"error":{"code","message"}}`; every response carries `x-request-id`.',
  },
  tags: [
    { name: 'classify', description: 'public: classify and embed images, see the serving model' },
    { name: 'examples', description: 'admin: labelled photos' },
    { name: 'training', description: 'admin: retraining runs and head versions' },
    { name: 'models', description: 'admin: named models; each one\'s routes are the /v1/... ones under /v1/models/{name}/...' },
    { name: 'service', description: 'health and this contract' },
  ],
};

export const openApiRoute = createRoute({
  method: 'get',
  path: '/openapi.json',
  tags: ['service'],
  summary: 'This document (OpenAPI 3.1)',
  responses: { 200: { description: 'the OpenAPI document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }, ...errorResponses() },
});

export const docsRoute = createRoute({
  method: 'get',
  path: '/docs',
  tags: ['service'],
  summary: 'The API reference, rendered from this document as HTML',
  responses: { 200: { description: 'an HTML page', content: { 'text/html': { schema: z.string() } } }, ...errorResponses() },
});

/** Registers the admin bearer scheme and the two routes that describe the API; call after every route is mounted. */
export function documentOf(app: OpenAPIHono<AppEnv>): () => OpenApiDocument {
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'the ADMIN_TOKEN secret (wrangler secret put ADMIN_TOKEN; locally .dev.vars)',
  });
  app.openAPIRegistry.registerPath(openApiRoute);
  app.openAPIRegistry.registerPath(docsRoute);
  let document: OpenApiDocument | undefined;
  // The routes are fixed once the app is built, so the document is generated once per isolate.
  return () => (document ??= withModelNameParam(app.getOpenAPI31Document(DOCUMENT_CONFIG)));
}

/**
 * The per-model routes are defined once with relative paths and mounted at `/v1` and `/v1/models/:name`; the
 * mount turns `:name` into `{name}` but their definitions do not declare it, so it is declared here on each operation.
 */
export function withModelNameParam(document: OpenApiDocument): OpenApiDocument {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (!path.startsWith('/v1/models/{name}/') || !item) continue;
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (operation) operation.parameters = [ModelNameParam, ...(operation.parameters ?? [])];
    }
  }
  return document;
}
