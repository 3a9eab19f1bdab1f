import type { EpochView, Leaderboard } from '@tessera/shared';
import { describeError } from '../api/api-error.ts';
import type { RewardsApi } from '../rewards/rewards-api.ts';
import { openEpoch, settledEpochs } from '../rewards/rewards-text.ts';

export const NETWORK_REWARDS_POLL_INTERVAL_MS = 5000;

/** Polls `GET /api/v1/epochs` and `GET /api/v1/leaderboard` while the dashboard is on screen. */
export class NetworkRewardsState {
  epochs = $state.raw<EpochView[] | null>(null);
  leaderboard = $state.raw<Leaderboard | null>(null);
  error = $state<string | null>(null);

  readonly current: EpochView | null = $derived(this.epochs === null ? null : openEpoch(this.epochs));
  readonly settled: EpochView[] = $derived(this.epochs === null ? [] : settledEpochs(this.epochs));

  readonly #api: Pick<RewardsApi, 'epochs' | 'leaderboard'>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #abort: AbortController | null = null;
  #running = false;

  constructor(api: Pick<RewardsApi, 'epochs' | 'leaderboard'>) {
    this.#api = api;
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
    const abort = new AbortController();
    this.#abort = abort;
    try {
      const [epochs, leaderboard] = await Promise.all([this.#api.epochs(abort.signal), this.#api.leaderboard(abort.signal)]);
      this.epochs = epochs;
      this.leaderboard = leaderboard;
      this.error = null;
    } catch (error) {
      if (!this.#running) return;
      this.error = describeError(error);
    }
    // Chained, not on an interval, so a slow coordinator never gets overlapping requests.
    if (this.#running) this.#timer = setTimeout(() => void this.#poll(), NETWORK_REWARDS_POLL_INTERVAL_MS);
  }
}
