import type { NetworkSnapshot } from '@tessera/shared';
import { describeError } from '../api/api-error.ts';
import { fetchNetworkSnapshot } from '../api/network-client.ts';

export const POLL_INTERVAL_MS = 2000;
/** Throughput samples kept for the sparkline: two minutes at one per poll. */
const HISTORY_LENGTH = 60;

/** Polls `GET /api/v1/network` while the dashboard is on screen. */
export class DashboardState {
  snapshot = $state.raw<NetworkSnapshot | null>(null);
  error = $state<string | null>(null);
  updatedAt = $state<number | null>(null);
  /** Recent network tokens/s, oldest first. */
  history = $state.raw<number[]>([]);

  readonly workers = $derived(this.snapshot?.nodes.filter((node) => node.role === 'worker').length ?? 0);
  readonly guards = $derived(this.snapshot?.nodes.filter((node) => node.role === 'guard').length ?? 0);

  readonly #origin: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #abort: AbortController | null = null;
  #running = false;

  constructor(origin: string) {
    this.#origin = origin;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#poll();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  async #poll(): Promise<void> {
    this.#abort = new AbortController();
    try {
      const snapshot = await fetchNetworkSnapshot(this.#origin, this.#abort.signal);
      this.snapshot = snapshot;
      this.updatedAt = Date.now();
      this.error = null;
      this.history = [...this.history, snapshot.throughput.tokensPerSecond].slice(-HISTORY_LENGTH);
    } catch (error) {
      if (!this.#running) return;
      this.error = describeError(error);
    }
    // Polls are chained, not on an interval, so a slow coordinator never gets overlapping requests.
    if (this.#running) this.#timer = setTimeout(() => void this.#poll(), POLL_INTERVAL_MS);
  }
}
