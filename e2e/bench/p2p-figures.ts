/** Statistics and number formatting for the peer-to-peer benchmark's output. */
import { integer } from '@tessera/coordinator/bench-report';

// The routing benchmark's percentiles and integer format, so both benchmarks count the same way.
export { integer, percentiles, type Percentiles } from '@tessera/coordinator/bench-report';

/** The middle value; the mean of the two middle ones for an even count (NaN when empty). */
export function median(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

export const mibPerSecond = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(1)} MiB/s` : '—');
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Milliseconds with a precision that suits the size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return `${value < 1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : integer(value)} ms`;
}

/** Decimal units, as the volunteer page shows sizes (0.6 MB, not 0.6 MiB). */
export function megabytes(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Columns padded to their widest cell; the first row is the header. */
export function renderColumns(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) => `${indent}${row.map((cell, index) => cell.padEnd((widths[index] ?? 0) + 3)).join('')}`.trimEnd()).join('\n');
}
