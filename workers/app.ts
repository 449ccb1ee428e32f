import { Hono } from 'hono';
import { parseServiceConfig, type ServiceConfig } from '../shared/config.ts';
import { NotFoundError } from '../shared/errors.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import type { AppEnv } from './app-env.ts';
import { corsByConfig } from './cors.ts';
import { errorResponse } from './http-errors.ts';
import { modelCacheFor } from './model-cache.ts';
import { rateLimit } from './rate-limit.ts';
import { requestLog } from './request-log.ts';
import { classifyRoutes } from './routes/classify.ts';
import { embedRoutes } from './routes/embed.ts';
import { healthRoutes } from './routes/health.ts';
import { modelScopedRoutes, namedModel } from './routes/model-scoped.ts';
import { modelAdminRoutes } from './routes/models.ts';
import { pageRoutes } from './pages/page-routes.tsx';

let parsed: { vars: Env; config: ServiceConfig } | undefined;

/** Vars are parsed once per isolate into a typed config; handlers never read raw strings from env. */
export function configFor(env: Env): ServiceConfig {
  if (parsed?.vars !== env) parsed = { vars: env, config: parseServiceConfig(env as unknown as Record<string, unknown>) };
  return parsed.config;
}

/** Builds the edge service: thin routes over the core, every failure as one JSON error shape. */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestLog);
  app.use(async (c, next) => {
    c.set('config', configFor(c.env));
    c.set('model', DEFAULT_MODEL);
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
  app.route('/', healthRoutes);
  app.route('/', classifyRoutes);
  app.route('/', embedRoutes);
  app.route('/', modelAdminRoutes);
  // One set of per-model routes: `/v1/...` is the default model, `/v1/models/:name/...` any named one.
  app.use('/v1/models/:name/*', namedModel);
  app.route('/v1', modelScopedRoutes);
  app.route('/v1/models/:name', modelScopedRoutes);
  app.route('/', pageRoutes);
  app.notFound((c) => errorResponse(new NotFoundError(`no route for ${c.req.method} ${new URL(c.req.url).pathname}`), c));
  app.onError((error, c) => errorResponse(error, c));
  return app;
}
