import type { EpochView, Leaderboard, SiteView } from '@tessera/shared';
import { describeError } from '../api/api-error.ts';
import { ChainedPoller } from '../api/chained-poller.ts';
import type { RewardsApi } from '../rewards/rewards-api.ts';
import { openEpoch, settledEpochs } from '../rewards/rewards-text.ts';

export const NETWORK_REWARDS_POLL_INTERVAL_MS = 5000;

/** Polls `GET /api/v1/epochs`, `GET /api/v1/leaderboard` and `GET /api/v1/sites` while the dashboard is on screen. */
export class NetworkRewardsState {
  epochs = $state.raw<EpochView[] | null>(null);
  leaderboard = $state.raw<Leaderboard | null>(null);
  sites = $state.raw<SiteView[] | null>(null);
  error = $state<string | null>(null);

  readonly current: EpochView | null = $derived(this.epochs === null ? null : openEpoch(this.epochs));
  readonly settled: EpochView[] = $derived(this.epochs === null ? [] : settledEpochs(this.epochs));

  readonly #api: Pick<RewardsApi, 'epochs' | 'leaderboard' | 'sites'>;
  readonly #poller = new ChainedPoller({ intervalMs: NETWORK_REWARDS_POLL_INTERVAL_MS, poll: (signal) => this.#poll(signal) });

  constructor(api: Pick<RewardsApi, 'epochs' | 'leaderboard' | 'sites'>) {
    this.#api = api;
  }

  start(): void {
    this.#poller.start();
  }

  stop(): void {
    this.#poller.stop();
  }

  async #poll(signal: AbortSignal): Promise<void> {
    try {
      const [epochs, leaderboard, sites] = await Promise.all([
        this.#api.epochs(signal),
        this.#api.leaderboard(signal),
        this.#api.sites(signal),
      ]);
      this.epochs = epochs;
      this.leaderboard = leaderboard;
      this.sites = sites;
      this.error = null;
    } catch (error) {
      if (!this.#poller.running) return;
      this.error = describeError(error);
    }
  }
}
