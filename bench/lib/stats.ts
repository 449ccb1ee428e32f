/** Order statistics for benchmark samples (milliseconds or any unit). */
export interface Summary {
  median: number;
  p95: number;
  min: number;
  samples: number;
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function summarize(values: number[]): Summary {
  return { median: quantile(values, 0.5), p95: quantile(values, 0.95), min: Math.min(...values), samples: values.length };
}

/** "12.3 ms (p95 14.1)" */
export function fmt(s: Summary, digits = 1): string {
  return `${s.median.toFixed(digits)} (p95 ${s.p95.toFixed(digits)})`;
}

export const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
