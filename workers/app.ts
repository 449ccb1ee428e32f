import { Hono } from 'hono';
import { parseServiceConfig, type ServiceConfig } from '../shared/config.ts';
import { NotFoundError } from '../shared/errors.ts';
import type { AppEnv } from './app-env.ts';
import { corsByConfig } from './cors.ts';
import { errorResponse } from './http-errors.ts';
import { modelCacheFor } from './model-cache.ts';
import { rateLimit } from './rate-limit.ts';
import { requestLog } from './request-log.ts';
import { classifyRoutes } from './routes/classify.ts';
import { embedRoutes } from './routes/embed.ts';
import { exampleRoutes } from './routes/examples.ts';
import { healthRoutes } from './routes/health.ts';
import { modelRoutes } from './routes/model.ts';
import { trainingRoutes } from './routes/training.ts';
import { headDetailRoutes } from './routes/head-details.ts';
import { labelRoutes } from './routes/labels.ts';
import { thumbnailRoutes } from './routes/thumbnails.ts';
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
    c.set('models', modelCacheFor(c.env.MODELS));
    await next();
  });
  app.use(corsByConfig);
  app.use(rateLimit);
  app.route('/', healthRoutes);
  app.route('/', classifyRoutes);
  app.route('/', modelRoutes);
  app.route('/', embedRoutes);
  app.route('/', exampleRoutes);
  app.route('/', trainingRoutes);
  app.route('/', headDetailRoutes);
  app.route('/', labelRoutes);
  app.route('/', thumbnailRoutes);
  app.route('/', pageRoutes);
  app.notFound((c) => errorResponse(new NotFoundError(`no route for ${c.req.method} ${new URL(c.req.url).pathname}`), c));
  app.onError((error, c) => errorResponse(error, c));
  return app;
}
