/**
 * Pieces every route group's contract shares: the error shape, the admin security requirement, the image upload
 * body, and the hook that turns a failed validation into that error shape. The same Zod schemas validate requests
 * (`@hono/zod-openapi`) and generate `GET /openapi.json`.
 */
import { z, type Hook } from '@hono/zod-openapi';
import { BadRequestError } from '../../shared/errors.ts';
import { parseInteger } from '../../shared/parse-integer.ts';
import type { AppEnv } from '../app-env.ts';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: 'stable snake_case code', example: 'invalid_request' }),
      message: z.string().openapi({ description: 'what was wrong and what is accepted' }),
    }),
  })
  .openapi('Error');

type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

const ERROR_MEANINGS: Record<ErrorStatus, string> = {
  400: 'malformed request (the message names the field)',
  401: 'missing, malformed or wrong admin token, or no ADMIN_TOKEN configured',
  404: 'no such resource',
  409: 'conflicts with the current state',
  413: 'body or image too large',
  415: 'not a JPEG, PNG or WebP',
  422: 'truncated, corrupt or hostile image',
  429: 'rate limited (see Retry-After)',
  503: 'no model yet',
};

/** The documented error answers of a route: each in the one error shape. 429 applies to every route. */
export function errorResponses<S extends ErrorStatus = never>(...statuses: S[]) {
  const entries = [...statuses, 429 as S].map((status) => [
    status,
    { description: ERROR_MEANINGS[status], content: { 'application/json': { schema: ErrorSchema } } },
  ]);
  return Object.fromEntries(entries) as Record<S | 429, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }>;
}

/** A JSON 200 answer with `schema`. */
export function jsonOk<T extends z.ZodType>(schema: T, description: string): { 200: { description: string; content: { 'application/json': { schema: T } } } } {
  return { 200: { description, content: { 'application/json': { schema } } } };
}

/**
 * An integer query parameter in [min, max] (query values are text: `?limit=20`), read by the core's one integer
 * rule (shared/parse-integer.ts: decimal digits only), with one message for every failure.
 */
export function integerQuery(min: number, max = Number.MAX_SAFE_INTEGER) {
  const message = max === Number.MAX_SAFE_INTEGER ? 'must be a positive integer' : `must be an integer from ${min} to ${max}`;
  return z
    .string()
    .transform((raw, ctx) => {
      const value = parseInteger(raw, min, max);
      if (value === null) ctx.addIssue({ code: 'custom', message });
      return value ?? 0;
    })
    .openapi({ type: 'integer', minimum: min, ...(max === Number.MAX_SAFE_INTEGER ? {} : { maximum: max }) });
}

/** Routes that need `Authorization: Bearer <ADMIN_TOKEN>`. */
export const ADMIN_SECURITY = [{ adminToken: [] }];

const binary = { type: 'string', format: 'binary' } as const;

/**
 * The image upload of classify, embed and example ingest. Documented only: these are plain OpenAPI schemas, not
 * Zod, so no validator buffers the body; `workers/request-body.ts` reads it with its size cap while streaming.
 */
export function imageBody(fields: Record<string, { type: 'string'; description: string }> = {}) {
  return {
    required: true,
    description: 'the raw image (JPEG, PNG or WebP), or multipart/form-data with the file in the field "image"',
    content: {
      'image/jpeg': { schema: binary },
      'image/png': { schema: binary },
      'image/webp': { schema: binary },
      'application/octet-stream': { schema: binary },
      'multipart/form-data': {
        schema: { type: 'object' as const, properties: { image: binary, ...fields }, required: ['image'] },
      },
    },
  };
}

/** Path parameter schemas are plain strings: a malformed id or version is a 404 (no such resource), as ever. */
export function pathParam(name: string, description: string, example: string) {
  return z.string().openapi({ param: { name, in: 'path' }, description, example });
}

/**
 * Codes kept from before the contract existed (clients and the README use them); every other field that fails
 * validation is `invalid_request`. The message always names the field.
 */
const FIELD_CODES: Record<string, string> = {
  top_k: 'invalid_top_k',
  min_score: 'invalid_min_score',
  limit: 'invalid_limit',
  suspect: 'invalid_suspect',
  label: 'invalid_label',
  name: 'invalid_model_name',
  trainEveryMinutes: 'invalid_schedule',
};

/** The message of a failed validation: every issue as `field: what is wrong`. */
export function validationMessage(target: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.length ? issue.path.join('.') : target}: ${issue.message}`).join('; ');
}

/** `defaultHook` of the app: a failed validation becomes 400 in the one error shape, via the app's error handler. */
export const validationHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return;
  const first = result.error.issues[0];
  const field = String(first?.path[0] ?? result.target);
  throw new BadRequestError(`${result.target === 'json' ? 'body ' : ''}${validationMessage(result.target, result.error.issues)}`, FIELD_CODES[field] ?? 'invalid_request');
};
