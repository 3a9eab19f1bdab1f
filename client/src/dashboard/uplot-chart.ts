import type { Attachment } from 'svelte/attachments';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartSpec } from './dashboard-charts.ts';

const HEIGHT = 180;
/** Tick steps for counts: uPlot's defaults would label 0.5 of a tab. */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 100_000];

function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '–';
  const digits = Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : Math.abs(value) >= 1 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

function options(spec: ChartSpec, width: number): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    // The live legend under the chart is the tooltip: it follows the cursor with each series' value and unit.
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
    axes: [
      { stroke: 'currentColor', grid: { stroke: 'rgba(127,127,127,0.15)' } },
      {
        stroke: 'currentColor',
        label: spec.unit,
        size: 56,
        grid: { stroke: 'rgba(127,127,127,0.15)' },
        ...(spec.whole ? { incrs: WHOLE_STEPS } : {}),
      },
    ],
    series: [
      { label: 'time' },
      ...spec.series.map((series) => ({
        label: series.label,
        stroke: series.color,
        width: 2,
        spanGaps: false,
        value: (_u: uPlot, value: number | null) => formatValue(value, spec.unit),
      })),
    ],
  };
}

/**
 * Draws `spec` with uPlot into the element it is attached to, as wide as the element. Svelte runs it
 * again when the spec changes (a new sample, a new series): the chart is remade then, which at one sample
 * per 10 s costs less than keeping series in step by hand.
 */
export function timeChart(spec: ChartSpec): Attachment<HTMLElement> {
  return (element) => {
    const chart = new uPlot(options(spec, Math.max(200, element.clientWidth)), spec.data, element);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  };
}
