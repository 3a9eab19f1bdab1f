import type { NetworkSnapshot, ObserverSample } from '@tessera/shared';
import { capacityByModel, tabsByTier } from './network-tables.ts';
import { openObserverFeed, type CreateObserverSocket } from './observer-feed.ts';

/** Samples kept on the page: the coordinator's 24 h at one per 10 s, and a little slack. */
const MAX_SAMPLES = 9000;

/**
 * The dashboard's live view of the network, pushed by the coordinator over `/observers` while the page is
 * on screen (no polling): the latest snapshot, and the sampled history the charts draw, which the
 * coordinator sends whole on every (re)connect so a reload loses nothing.
 */
export class DashboardState {
  snapshot = $state.raw<NetworkSnapshot | null>(null);
  samples = $state.raw<ObserverSample[]>([]);
  sampleMs = $state(10_000);
  connected = $state(false);
  error = $state<string | null>(null);
  updatedAt = $state<number | null>(null);

  readonly workers = $derived(this.snapshot?.nodes.filter((node) => node.role === 'worker').length ?? 0);
  readonly guards = $derived(this.snapshot?.nodes.filter((node) => node.role === 'guard').length ?? 0);
  readonly capacity = $derived(this.snapshot === null ? [] : capacityByModel(this.snapshot));
  readonly tiers = $derived(this.snapshot === null ? [] : tabsByTier(this.snapshot));

  readonly #origin: string;
  readonly #createSocket: CreateObserverSocket | undefined;
  #close: (() => void) | null = null;

  constructor(origin: string, createSocket?: CreateObserverSocket) {
    this.#origin = origin;
    this.#createSocket = createSocket;
  }

  start(): void {
    if (this.#close !== null) return;
    this.#close = openObserverFeed(
      this.#origin,
      {
        history: (history) => {
          this.sampleMs = history.sampleMs;
          this.samples = history.samples.slice(-MAX_SAMPLES);
        },
        sample: (sample) => {
          this.samples = [...this.samples.filter((kept) => kept.at < sample.at), sample].slice(-MAX_SAMPLES);
        },
        snapshot: (snapshot) => {
          this.snapshot = snapshot;
          this.updatedAt = Date.now();
          this.error = null;
        },
        connection: (connected, error) => {
          this.connected = connected;
          if (error !== undefined) this.error = error;
        },
      },
      this.#createSocket,
    );
  }

  stop(): void {
    this.#close?.();
    this.#close = null;
    this.connected = false;
  }
}
