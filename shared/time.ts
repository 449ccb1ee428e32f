/**
 * A UTC instant as a compact, sortable stamp for ids and versions: 2026-12-05T20:29:11.123Z -> 20261205T202911Z
 * (seconds precision; the milliseconds are dropped).
 */
export function compactUtcTimestamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
