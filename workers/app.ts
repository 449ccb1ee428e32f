import { OpenAPIHono } from '@hono/zod-openapi';
import { parseServiceConfig, type ServiceConfig } from '../shared/config.ts';
import { NotFoundError } from '../shared/errors.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import type { AppEnv } from './app-env.ts';
import { validationHook } from './contract/common.ts';
import { documentOf } from './contract/document.ts';
import { corsByConfig } from './cors.ts';
import { errorResponse } from './http-errors.ts';
import { modelCacheFor } from './model-cache.ts';
import { rateLimit } from './rate-limit.ts';
import { isolateRuntime } from './runtime.ts';
import { requestLog } from './request-log.ts';
import { classifyRoutes } from './routes/classify.ts';
import { embedRoutes } from './routes/embed.ts';
import { healthRoutes } from './routes/health.ts';
import { backboneFileRoutes } from './routes/head-weights.ts';
import { modelScopedRoutes, namedModel } from './routes/model-scoped.ts';
import { modelAdminRoutes } from './routes/models.ts';
import { DocsPage } from './pages/docs-page.tsx';
import { PAGES_CSP, pageRoutes } from './pages/page-routes.tsx';

let parsed: { vars: Env; config: ServiceConfig } | undefined;

/** Vars are parsed once per isolate into a typed config; handlers never read raw strings from env. */
export function configFor(env: Env): ServiceConfig {
  if (parsed?.vars !== env) parsed = { vars: env, config: parseServiceConfig(env as unknown as Record<string, unknown>) };
  return parsed.config;
}

/** The API routes: one chain, so its type (AppType) carries every route's input and output to `hc` clients. */
function apiRoutes(app: OpenAPIHono<AppEnv>) {
  return app
    .route('/', healthRoutes)
    .route('/', classifyRoutes)
    .route('/', embedRoutes)
    .route('/', backboneFileRoutes)
    .route('/', modelAdminRoutes)
    .route('/v1', modelScopedRoutes)
    .route('/v1/models/:name', modelScopedRoutes);
}

/**
 * Builds the edge service: thin routes over the core, every failure as one JSON error shape. The routes' Zod
 * schemas validate requests (failures: 400 via validationHook) and make up `GET /openapi.json` and `GET /docs`.
 */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(requestLog);
  app.use(async (c, next) => {
    c.set('config', configFor(c.env));
    c.set('model', DEFAULT_MODEL);
    c.set('runtime', isolateRuntime());
    // The request's hold on loaded backbones ends with it, so a backbone change never disposes one in use.
    const models = modelCacheFor(c.env.MODELS).scope();
    c.set('models', models);
    try {
      await next();
    } finally {
      models.release();
    }
  });
  app.use(corsByConfig);
  app.use(rateLimit);
  // One set of per-model routes: `/v1/...` is the default model, `/v1/models/:name/...` any named one.
  app.use('/v1/models/:name/*', namedModel);
  const api = apiRoutes(app);
  const document = documentOf(app);
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/docs', (c) => {
    c.header('content-security-policy', PAGES_CSP);
    return c.html(DocsPage({ document: document() }));
  });
  app.route('/', pageRoutes);
  app.notFound((c) => errorResponse(new NotFoundError(`no route for ${c.req.method} ${new URL(c.req.url).pathname}`), c));
  app.onError((error, c) => errorResponse(error, c));
  return api;
}

/** The type of the service's API, for Hono's typed client: `hc<AppType>(url)` (see workers/client.ts). */
export type AppType = ReturnType<typeof createApp>;
