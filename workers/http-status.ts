/** The one table from the core's error kinds to HTTP statuses (used by http-errors.ts; the fuzz report reads it too). */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorKind } from '../shared/errors.ts';

export const HTTP_STATUS: Record<ErrorKind, ContentfulStatusCode> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  undecodable: 422,
  invalid_model: 422,
  rate_limited: 429,
  not_ready: 503,
  stored_data: 500,
  config: 500,
};
