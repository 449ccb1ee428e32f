/**
 * One structured JSON line per request (Workers Logs / `wrangler tail` read it as an object), and the request id
 * every response carries in `x-request-id`. Logged: id, method, route pattern, status, duration, error code.
 * Never logged: headers (the Authorization token), the query string (it may hold secrets), bodies (image bytes).
 */
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppEnv } from './app-env.ts';

/** cf-ray is `<16 hex>-<colo>`; anything else a client sends is not trusted into the logs. */
const RAY = /^[0-9a-f]{8,32}(-[A-Z]{3,4})?$/i;

/** The request id: Cloudflare's ray id when present (it joins our line to Cloudflare's own logs), else a fresh UUID. */
export function requestIdOf(request: Request): string {
  const ray = request.headers.get('cf-ray');
  return ray && RAY.test(ray) ? ray : crypto.randomUUID();
}

/** Writes one log line as a single JSON object. */
export function logLine(fields: Record<string, unknown>): void {
  console.log(JSON.stringify(fields));
}

export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const id = requestIdOf(c.req.raw);
  const started = Date.now();
  c.set('requestId', id);
  await next();
  c.res.headers.set('x-request-id', id);
  const errorCode = c.get('errorCode');
  logLine({
    type: 'request',
    id,
    method: c.req.method,
    route: routePath(c, -1),
    status: c.res.status,
    ms: Date.now() - started,
    ...(errorCode ? { error: errorCode } : {}),
  });
});
