/** The `Server-Timing` header: the same milliseconds as a response's `timing_ms`, readable in browser dev tools. */

/** `{decode: 4, forward: 31}` -> `decode;dur=4, forward;dur=31` (metric names are tokens: our keys already are). */
export function serverTiming(timingMs: Record<string, number>): string {
  return Object.entries(timingMs)
    .map(([name, ms]) => `${name};dur=${ms}`)
    .join(', ');
}
