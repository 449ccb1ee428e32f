import { BadRequestError } from '../errors.ts';

/** Longest label, in code points. */
export const MAX_LABEL_LENGTH = 64;

/** Letters, marks and digits of any script, then also spaces, `_`, `-`, `.` and `'` (not leading). */
const LABEL_PATTERN = /^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N} _.'-]*$/u;

/** What a label may hold, said the same way by every refusal. */
export const LABEL_RULE =
  'use letters, digits (any script), spaces, "_", "-", "." or "\'", starting with a letter or digit and not ending in a space';

/**
 * Code points refused by name, because they make one label look like another or reorder the text around it:
 * control characters (C0, DEL, C1), bidirectional overrides, embeddings, isolates and marks, zero-width
 * characters (spaces, joiners, word joiner, byte-order mark), soft hyphen and other invisible format characters.
 */
const FORBIDDEN_CODE_POINT = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029\u115f\u1160\u3164\uffa0]/u;

const KINDS: [RegExp, string][] = [
  [/\p{Cc}/u, 'a control character'],
  [/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u, 'a bidirectional override, isolate or mark'],
  [/[\u200b-\u200d\u2060\ufeff\u180e]/u, 'a zero-width character'],
  [/[\u2028\u2029]/u, 'a line or paragraph separator'],
  [/[\p{Co}\p{Cs}]/u, 'a private-use or surrogate code point'],
];

function describeCodePoint(char: string): string {
  const hex = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  const kind = KINDS.find(([pattern]) => pattern.test(char))?.[1] ?? 'an invisible format character';
  return `U+${hex} (${kind})`;
}

/**
 * Finds the first code point a label may never hold (control, bidi, zero-width, invisible format characters).
 * @returns `U+XXXX (kind)` naming it, or undefined when there is none
 */
export function findForbiddenCodePoint(label: string): string | undefined {
  const match = FORBIDDEN_CODE_POINT.exec(label);
  return match ? describeCodePoint(match[0]) : undefined;
}

/**
 * Validates a class label and returns it in Unicode NFC, so the same word typed two ways is one label.
 * @throws BadRequestError (code invalid_label) when it is missing, empty, longer than {@link MAX_LABEL_LENGTH}
 *   code points, holds a control, bidi or zero-width code point (named as U+XXXX), has surrounding white space,
 *   or uses other characters (slashes, punctuation, ...)
 */
export function validateLabel(raw: string | null | undefined): string {
  if (raw === null || raw === undefined || raw === '') {
    throw new BadRequestError('a label is required: ?label=NAME on a raw upload, or the form field "label"', 'invalid_label');
  }
  const label = raw.normalize('NFC');
  const forbidden = findForbiddenCodePoint(label);
  if (forbidden !== undefined) {
    throw new BadRequestError(`label ${JSON.stringify(label)} contains ${forbidden}; ${LABEL_RULE}`, 'invalid_label');
  }
  const length = [...label].length;
  if (length > MAX_LABEL_LENGTH) {
    throw new BadRequestError(`label is ${length} characters long; the limit is ${MAX_LABEL_LENGTH}`, 'invalid_label');
  }
  if (!LABEL_PATTERN.test(label) || label.trimEnd() !== label) {
    throw new BadRequestError(`label ${JSON.stringify(label)} is not valid: ${LABEL_RULE}`, 'invalid_label');
  }
  return label;
}

/**
 * Checks folder names used as labels (the CLI's ImageFolder) by the same rule as the service.
 * @returns the NFC label of each name, in order
 * @throws BadRequestError (code invalid_label) listing every bad folder and why
 */
export function validateLabelFolders(names: readonly string[]): string[] {
  const problems: string[] = [];
  const labels = names.map((name) => {
    try {
      return validateLabel(name);
    } catch (error) {
      problems.push(`  ${JSON.stringify(name)}: ${(error as Error).message}`);
      return name;
    }
  });
  if (problems.length > 0) {
    throw new BadRequestError(`${problems.length} label folder name(s) are not valid labels:\n${problems.join('\n')}`, 'invalid_label');
  }
  return labels;
}
