import { formatAmount, type EpochView, type ObserverSample } from '@tessera/shared';

export interface ChartSeries {
  label: string;
  color: string;
}

/** One time chart: x in Unix seconds (uPlot's time scale), one y array per series; null where nothing was measured. */
export interface ChartSpec {
  id: string;
  title: string;
  /** The y axis's unit, shown on the axis and after each value in the legend. */
  unit: string;
  /** Counts (tabs, tasks): the y axis ticks whole numbers only. */
  whole: boolean;
  series: ChartSeries[];
  data: [number[], ...(number | null)[][]];
}

const WHOLE_UNITS = new Set(['tabs', 'tasks', 'per sample']);
const PALETTE = ['#4f7cff', '#e8663d', '#2fa36b', '#b25fd6', '#d4a017', '#17a2b8', '#d6456b', '#7a8699'];

function colored(labels: readonly string[]): ChartSeries[] {
  return labels.map((label, index) => ({ label, color: PALETTE[index % PALETTE.length] ?? '#4f7cff' }));
}

function chart(
  id: string,
  title: string,
  unit: string,
  samples: readonly ObserverSample[],
  lines: [string, (s: ObserverSample) => number | null][],
): ChartSpec {
  return {
    id,
    title,
    unit,
    whole: WHOLE_UNITS.has(unit),
    series: colored(lines.map(([label]) => label)),
    data: [samples.map((sample) => sample.at / 1000), ...lines.map(([, value]) => samples.map(value))],
  };
}

/** Every `model · kind` pair seen in the samples, most tasks first, so colours stay put as samples arrive. */
function taskPairs(samples: readonly ObserverSample[]): string[] {
  const totals = new Map<string, number>();
  for (const sample of samples)
    for (const task of sample.tasks) {
      const key = `${task.model} · ${task.kind}`;
      totals.set(key, (totals.get(key) ?? 0) + task.perSecond);
    }
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([key]) => key);
}

/** The dashboard's time charts, from the coordinator's samples (oldest first). */
export function dashboardCharts(samples: readonly ObserverSample[]): ChartSpec[] {
  const pairs = taskPairs(samples);
  const perSecond = (sample: ObserverSample, pair: string) =>
    sample.tasks.find((task) => `${task.model} · ${task.kind}` === pair)?.perSecond ?? 0;
  return [
    chart('tabs', 'Tabs online', 'tabs', samples, [
      ['workers', (s) => s.tabs.worker],
      ['guards', (s) => s.tabs.guard],
    ]),
    {
      ...chart(
        'tasks',
        'Tasks finished',
        'tasks/s',
        samples,
        pairs.map((pair) => [pair, (s: ObserverSample) => perSecond(s, pair)]),
      ),
    },
    chart('queue', 'Queue depth', 'tasks', samples, [
      ['queued', (s) => s.queued],
      ['running', (s) => s.running],
    ]),
    chart('latency', 'Time to first token and latency', 'ms', samples, [
      ['TTFT p50', (s) => s.ttftMs?.p50 ?? null],
      ['TTFT p95', (s) => s.ttftMs?.p95 ?? null],
      ['latency p50', (s) => s.latencyMs?.p50 ?? null],
      ['latency p95', (s) => s.latencyMs?.p95 ?? null],
    ]),
    chart('throughput', 'Tokens generated', 'tok/s', samples, [['tokens', (s) => s.tokensPerSecond]]),
    chart('checks', 'Guard checks and catches', 'per sample', samples, [
      ['checked', (s) => s.checked],
      ['caught', (s) => s.caught],
    ]),
  ];
}

/**
 * Credit per closed epoch, in TSRA, at each epoch's end: from `GET /api/v1/epochs`, which the Rewards section
 * already reads. The open epoch is left out: its total is not known until it closes.
 */
export function epochCreditChart(epochs: readonly EpochView[]): ChartSpec {
  const closed = epochs.filter((epoch) => epoch.total !== null).sort((a, b) => a.endsAt - b.endsAt);
  return {
    id: 'credit',
    title: 'Credit per epoch',
    unit: 'TSRA',
    whole: false,
    series: colored(['credited']),
    data: [closed.map((epoch) => epoch.endsAt / 1000), closed.map((epoch) => Number(formatAmount(BigInt(epoch.total ?? '0'))))],
  };
}
