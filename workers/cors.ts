/**
 * CORS by allow-list (`CORS_ORIGINS`): none by default, so browsers keep the service same-origin; listed
 * origins (or `*`) get the CORS headers and their OPTIONS preflights answered; any other origin gets no
 * Access-Control-Allow-Origin, which browsers read as a refusal.
 */
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env.ts';

const byList = new WeakMap<readonly string[], MiddlewareHandler>();

function corsFor(origins: readonly string[]): MiddlewareHandler {
  let handler = byList.get(origins);
  if (!handler) {
    handler = cors({
      origin: origins.includes('*') ? '*' : (origin) => (origins.includes(origin) ? origin : null),
      allowMethods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowHeaders: ['content-type', 'authorization'],
      exposeHeaders: ['x-request-id', 'retry-after', 'server-timing'],
      maxAge: 600,
    });
    byList.set(origins, handler);
  }
  return handler;
}

export const corsByConfig = createMiddleware<AppEnv>(async (c, next) => {
  const origins = c.get('config').corsOrigins;
  if (origins.length === 0) return next();
  const response = await corsFor(origins)(c, next);
  if (response) return response;
});
