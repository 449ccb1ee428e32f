/** Named models: many heads (labels, examples, runs, thresholds) sharing one backbone. */
import { BadRequestError } from '../errors.ts';

/** The model every route without a model name means; it always exists and cannot be deleted. */
export const DEFAULT_MODEL = 'default';

/** Lowercase letters, digits and hyphens, 1 to 32 characters. */
export const MODEL_NAME_PATTERN = /^[a-z0-9-]{1,32}$/;

/**
 * Checks a model name as given in a path, query or body.
 * @throws BadRequestError (400, `invalid_model_name`) when it is not 1-32 of `a-z`, `0-9`, `-`
 */
export function validateModelName(raw: unknown): string {
  if (typeof raw === 'string' && MODEL_NAME_PATTERN.test(raw)) return raw;
  throw new BadRequestError(
    `model name must be 1 to 32 characters of a-z, 0-9 and "-", got ${JSON.stringify(raw)}`,
    'invalid_model_name',
  );
}

/** Where a model's HTTP routes live: `/v1` for `default`, `/v1/models/<name>` for any other. */
export function modelApiRoot(model: string): string {
  return model === DEFAULT_MODEL ? '/v1' : `/v1/models/${model}`;
}
