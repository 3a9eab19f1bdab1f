import type { NetworkSnapshot, ObserverSample } from '@tessera/shared';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';

/** The p-th percentile (0–100) of `values`, nearest rank; values need not be sorted. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

function percentiles(values: readonly number[]): { p50: number; p95: number } | null {
  return values.length === 0 ? null : { p50: percentile(values, 50), p95: percentile(values, 95) };
}

/**
 * Gathers what happens between two samples from the event bus (the same events `/metrics` counts), and
 * turns it into one `ObserverSample` with the snapshot's gauges. Raw timings are kept per interval rather
 * than read from the Prometheus histograms: their buckets are too coarse for a p50 of a tiny model.
 */
export class ObserverMeter {
  #finished = new Map<string, { model: string; kind: string; count: number }>();
  #tokens = 0;
  #ttftMs: number[] = [];
  #latencyMs: number[] = [];
  #checked = 0;
  #caught = 0;
  #since: number;

  constructor(now: number) {
    this.#since = now;
  }

  /** Listens to the bus; returns what stops it. */
  observe(events: CoordinatorEventBus): () => void {
    const offs = [
      events.on('task:succeeded', ({ record, result }) => {
        const { kind, model } = record.spec;
        const key = `${model}\u0000${kind}`;
        const entry = this.#finished.get(key) ?? { model, kind, count: 0 };
        entry.count += 1;
        this.#finished.set(key, entry);
        this.#tokens += result.usage.completionTokens;
        if (result.timings.firstTokenMs !== null) this.#ttftMs.push(result.timings.firstTokenMs);
        this.#latencyMs.push((record.finishedAt ?? record.createdAt) - record.createdAt);
      }),
      events.on('verify:checked', ({ verdict }) => {
        this.#checked += 1;
        if (verdict === 'invalid') this.#caught += 1;
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /** The interval from the last call (or construction) to `now`, then starts the next one. */
  sample(now: number, snapshot: NetworkSnapshot): ObserverSample {
    const seconds = Math.max(0.001, (now - this.#since) / 1000);
    const sample: ObserverSample = {
      at: now,
      tabs: {
        worker: snapshot.nodes.filter((node) => node.role === 'worker').length,
        guard: snapshot.nodes.filter((node) => node.role === 'guard').length,
      },
      tasks: [...this.#finished.values()].map(({ model, kind, count }) => ({ model, kind, perSecond: count / seconds })),
      tokensPerSecond: this.#tokens / seconds,
      queued: snapshot.queue.queued,
      running: snapshot.queue.assigned,
      ttftMs: percentiles(this.#ttftMs),
      latencyMs: percentiles(this.#latencyMs),
      checked: this.#checked,
      caught: this.#caught,
    };
    this.#since = now;
    this.#finished = new Map();
    this.#tokens = 0;
    this.#ttftMs = [];
    this.#latencyMs = [];
    this.#checked = 0;
    this.#caught = 0;
    return sample;
  }
}
