// Small summary statistics for benchmark figures (printed, never asserted).

export interface Summary {
  readonly count: number;
  readonly median: number;
  readonly max: number;
  readonly min: number;
}

export function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length === 0
      ? Number.NaN
      : sorted.length % 2 === 1
        ? (sorted[middle] ?? Number.NaN)
        : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { count: sorted.length, median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
}

export const ms = (value: number): string => (Number.isNaN(value) ? '—' : value.toFixed(1));
