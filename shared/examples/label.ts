import { BadRequestError } from '../errors.ts';

/** Longest label, in code points. */
export const MAX_LABEL_LENGTH = 64;

/** Letters, marks and digits of any script, then also spaces, `_`, `-`, `.` and `'` (not leading). */
const LABEL_PATTERN = /^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N} _.'-]*$/u;

/**
 * Validates a class label and returns it in Unicode NFC, so the same word typed two ways is one label.
 * @throws BadRequestError (code invalid_label) when it is missing, empty, longer than {@link MAX_LABEL_LENGTH}
 *   code points, has surrounding white space, or uses other characters (control characters, slashes, ...)
 */
export function validateLabel(raw: string | null | undefined): string {
  if (raw === null || raw === undefined || raw === '') {
    throw new BadRequestError('a label is required: ?label=NAME on a raw upload, or the form field "label"', 'invalid_label');
  }
  const label = raw.normalize('NFC');
  const length = [...label].length;
  if (length > MAX_LABEL_LENGTH) {
    throw new BadRequestError(`label is ${length} characters long; the limit is ${MAX_LABEL_LENGTH}`, 'invalid_label');
  }
  if (!LABEL_PATTERN.test(label) || label.trimEnd() !== label) {
    throw new BadRequestError(
      `label ${JSON.stringify(label)} is not valid: use letters, digits (any script), spaces, "_", "-", "." or "'", starting with a letter or digit and not ending in a space`,
      'invalid_label',
    );
  }
  return label;
}
