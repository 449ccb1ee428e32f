/** The one place that maps failures to HTTP: `EdgeheadError`s to their status, anything else to a logged 500. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { EdgeheadError, toErrorBody } from '../shared/errors.ts';

export function errorResponse(error: unknown, c: Context): Response {
  if (error instanceof EdgeheadError) return c.json(toErrorBody(error), error.status);
  if (error instanceof HTTPException) {
    return c.json({ error: { code: error.status === 404 ? 'not_found' : 'bad_request', message: error.message || 'bad request' } }, error.status);
  }
  console.error('unhandled error', error);
  return c.json({ error: { code: 'internal_error', message: 'internal error; see the worker logs' } }, 500);
}
