import type { NetworkNode, NetworkSnapshot } from '@tessera/shared';
import { describeError } from '../api/api-error.ts';
import { ChainedPoller } from '../api/chained-poller.ts';
import { findNode } from '../ui/reputation-text.ts';

export const STANDING_POLL_INTERVAL_MS = 3000;

/** Reads the network snapshot; `fetchNetworkSnapshot` bound to the coordinator in the app. */
export type SnapshotSource = (signal: AbortSignal) => Promise<NetworkSnapshot>;

/**
 * How the coordinator sees this tab: its row of `GET /api/v1/network` (reputation tier, accuracy,
 * check probability, key fingerprint, models refused after a failed known-answer check, a guard's
 * verdicts), found by the node id of the current connection and polled while the tab is connected.
 */
export class NodeStanding {
  node = $state.raw<NetworkNode | null>(null);
  error = $state<string | null>(null);
  updatedAt = $state<number | null>(null);

  readonly #source: SnapshotSource;
  #nodeId: string | null = null;
  readonly #poller = new ChainedPoller({ intervalMs: STANDING_POLL_INTERVAL_MS, poll: (signal) => this.#poll(signal) });

  constructor(source: SnapshotSource) {
    this.#source = source;
  }

  /** Follows `nodeId` (a new one after every reconnect), polling at once and then every few seconds. */
  follow(nodeId: string): void {
    if (nodeId === this.#nodeId) return;
    this.stop();
    this.#nodeId = nodeId;
    this.#poller.start();
  }

  stop(): void {
    this.#poller.stop();
    this.#nodeId = null;
    this.node = null;
    this.error = null;
  }

  async #poll(signal: AbortSignal): Promise<void> {
    const nodeId = this.#nodeId;
    if (nodeId === null) return;
    try {
      const snapshot = await this.#source(signal);
      if (this.#nodeId !== nodeId) return;
      this.node = findNode(snapshot, nodeId);
      this.error = this.node === null ? 'The coordinator does not list this tab (yet).' : null;
      this.updatedAt = Date.now();
    } catch (error) {
      if (this.#nodeId !== nodeId) return;
      this.error = describeError(error);
    }
  }
}
