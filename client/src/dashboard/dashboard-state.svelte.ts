import type { NetworkSnapshot } from '@tessera/shared';
import { describeError } from '../api/api-error.ts';
import { ChainedPoller } from '../api/chained-poller.ts';
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
  readonly #poller = new ChainedPoller({ intervalMs: POLL_INTERVAL_MS, poll: (signal) => this.#poll(signal) });

  constructor(origin: string) {
    this.#origin = origin;
  }

  start(): void {
    this.#poller.start();
  }

  stop(): void {
    this.#poller.stop();
  }

  async #poll(signal: AbortSignal): Promise<void> {
    try {
      const snapshot = await fetchNetworkSnapshot(this.#origin, signal);
      this.snapshot = snapshot;
      this.updatedAt = Date.now();
      this.error = null;
      this.history = [...this.history, snapshot.throughput.tokensPerSecond].slice(-HISTORY_LENGTH);
    } catch (error) {
      if (!this.#poller.running) return;
      this.error = describeError(error);
    }
  }
}
