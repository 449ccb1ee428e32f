import { OpenAPIHono } from '@hono/zod-openapi';
import { parseServiceConfig, type ServiceConfig } from '../shared/config.ts';
import { NotFoundError } from '../shared/errors.ts';
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
import { exampleRoutes } from './routes/examples.ts';
import { healthRoutes } from './routes/health.ts';
import { modelRoutes } from './routes/model.ts';
import { trainingRoutes } from './routes/training.ts';
import { headDetailRoutes } from './routes/head-details.ts';
import { headWeightRoutes } from './routes/head-weights.ts';
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
    .route('/', modelRoutes)
    .route('/', embedRoutes)
    .route('/', exampleRoutes)
    .route('/', trainingRoutes)
    .route('/', headDetailRoutes)
    .route('/', headWeightRoutes);
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
    c.set('models', modelCacheFor(c.env.MODELS));
    c.set('runtime', isolateRuntime());
    await next();
  });
  app.use(corsByConfig);
  app.use(rateLimit);
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
