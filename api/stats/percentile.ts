/**
 * The p-th percentile of `values` by the nearest-rank method: the smallest value that at least p%
 * of them do not exceed. Always one of the values, so a figure never shows a time no job took.
 * Undefined for no values.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}
