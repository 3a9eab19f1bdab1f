/** Number formatting and the result table of the routing benchmark. */

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a sample (NaN everywhere when it is empty). */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (fraction: number): number =>
    sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN);
  return {
    count: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN),
  };
}

export const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
export const mib = (bytes: number): string => `${integer(bytes / 1024 / 1024)} MiB`;
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const cores = (cpuMs: number, wallMs: number): string => `${(cpuMs / wallMs).toFixed(2)} cores`;

/** Microseconds as milliseconds with a precision that suits the size. */
export function ms(us: number): string {
  if (!Number.isFinite(us)) return '—';
  const value = us / 1000;
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : integer(value)} ms`;
}

export function latencyFigure(p: Percentiles): string {
  return `p50 ${ms(p.p50)} · p90 ${ms(p.p90)} · p99 ${ms(p.p99)} · max ${ms(p.max)}`;
}

/** What a benchmark run prints after its header: the table, notes under it, and a closing remark. */
export interface BenchReport {
  table: string;
  /** One line each; a line starting with two spaces continues the one before. */
  notes: string[];
  /** Cores other processes kept busy during each measurement, for the warning under the notes. */
  load: number[];
  /** After the total time: what the machine's cores were shared by. */
  closing: string;
}

export interface Row {
  phase: string;
  figure: string;
  goal: string;
  /** Whether the figure meets the goal; undefined when there is no goal. */
  met?: boolean;
}

/** Left-aligned columns, three spaces apart, the first row the header; trailing blanks trimmed. */
export function renderColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd((widths[index] ?? 0) + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/** The figures as an aligned table, one row per phase, with a mark where a goal was or was not met. */
export function renderTable(rows: readonly Row[]): string {
  const mark = (row: Row): string => (row.met === undefined ? '' : row.met ? '  ✓' : '  ✗');
  return renderColumns([['phase', 'figure', 'goal'], ...rows.map((row) => [row.phase, row.figure, `${row.goal}${mark(row)}`])]);
}
