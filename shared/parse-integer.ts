/**
 * The one rule for an integer written in text (query values, config vars): decimal digits only (no sign,
 * blanks, exponent or fraction), a safe integer, within [min, max].
 * @returns the value, or null when `raw` is not such an integer
 */
export function parseInteger(raw: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | null {
  if (!/^\d+$/.test(raw)) return null;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : null;
}
