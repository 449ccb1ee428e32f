/** Query values: parsed with the core's one integer rule, refused as 400 with the parameter's own code. */
import { BadRequestError } from '../shared/errors.ts';
import { parseInteger } from '../shared/parse-integer.ts';

/**
 * `?name=N`: an integer from `min` to `max` (`fallback` when absent).
 * @throws BadRequestError with `code` naming the parameter and what is accepted
 */
export function integerQuery(
  raw: string | undefined,
  spec: { name: string; code: string; fallback: number; min: number; max?: number },
): number {
  if (raw === undefined) return spec.fallback;
  const value = parseInteger(raw, spec.min, spec.max);
  if (value !== null) return value;
  const range = spec.max === undefined ? `an integer of at least ${spec.min}` : `an integer from ${spec.min} to ${spec.max}`;
  throw new BadRequestError(`${spec.name} must be ${range}, got ${JSON.stringify(raw)}`, spec.code);
}
