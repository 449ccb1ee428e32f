/**
 * The one place that maps failures to HTTP: each kind of `EdgeheadError` to its status (http-status.ts),
 * anything else to a logged 500. The server's own faults (a corrupt stored model, bad configuration) are
 * logged too, with their code, and answered 5xx: never blamed on the caller.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { EdgeheadError, toErrorBody } from '../shared/errors.ts';
import type { AppEnv } from './app-env.ts';
import { HTTP_STATUS } from './http-status.ts';


function logError(c: Context<AppEnv>, error: unknown, code: string): void {
  // The details stay in the logs, joined to the request line by its id.
  console.error(
    JSON.stringify({
      type: 'error',
      id: c.get('requestId'),
      code,
      name: error instanceof Error ? error.name : typeof error,
      message: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    }),
  );
}

const HTTP_EXCEPTION_CODES: Partial<Record<number, string>> = { 404: 'not_found', 415: 'unsupported_media_type' };

export function errorResponse(error: unknown, c: Context<AppEnv>): Response {
  if (error instanceof EdgeheadError) {
    const status = HTTP_STATUS[error.kind];
    c.set('errorCode', error.code);
    if (status >= 500) logError(c, error, error.code);
    return c.json(toErrorBody(error), status);
  }
  if (error instanceof HTTPException) {
    // Hono's own refusals (the JSON validator, the contract's media-type gate) in our vocabulary.
    const code = HTTP_EXCEPTION_CODES[error.status] ?? (/JSON/.test(error.message) ? 'invalid_json' : 'bad_request');
    c.set('errorCode', code);
    const message = error.status === 415 ? `content type ${c.req.header('content-type') ?? '(none)'} is not accepted here; send application/json` : error.message || 'bad request';
    return c.json({ error: { code, message } }, error.status);
  }
  c.set('errorCode', 'internal_error');
  logError(c, error, 'internal_error');
  return c.json({ error: { code: 'internal_error', message: 'internal error; see the worker logs' } }, 500);
}
