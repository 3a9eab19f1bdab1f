import type { NetworkNode, NetworkSnapshot } from '@tessera/shared';
import { describeError } from '../api/api-error.ts';
import { ChainedPoller } from '../api/chained-poller.ts';

export const OUTLOOK_POLL_INTERVAL_MS = 3000;

/**
 * What a guard sees of the network while it is joined: every tab of `GET /api/v1/network` (the workers
 * it could check) and its own row (standing, verdicts counted by the coordinator, times it was outvoted).
 * The guard page works out from it why no check comes, since the coordinator does not say.
 */
export class GuardOutlook {
  nodes = $state.raw<readonly NetworkNode[] | null>(null);
  own = $state.raw<NetworkNode | null>(null);
  error = $state<string | null>(null);

  readonly #read: (signal: AbortSignal) => Promise<NetworkSnapshot>;
  readonly #poller = new ChainedPoller({ intervalMs: OUTLOOK_POLL_INTERVAL_MS, poll: (signal) => this.#poll(signal) });
  #nodeId: string | null = null;

  constructor(read: (signal: AbortSignal) => Promise<NetworkSnapshot>) {
    this.#read = read;
  }

  /** Follows the tab's connection (a new node id after every reconnect); null: not joined, nothing to read. */
  follow(nodeId: string | null): void {
    if (nodeId === this.#nodeId) return;
    this.#poller.stop();
    this.#nodeId = nodeId;
    this.nodes = null;
    this.own = null;
    this.error = null;
    if (nodeId !== null) this.#poller.start();
  }

  stop(): void {
    this.follow(null);
  }

  async #poll(signal: AbortSignal): Promise<void> {
    const nodeId = this.#nodeId;
    if (nodeId === null) return;
    try {
      const snapshot = await this.#read(signal);
      if (this.#nodeId !== nodeId) return;
      this.nodes = snapshot.nodes;
      this.own = snapshot.nodes.find((node) => node.nodeId === nodeId) ?? null;
      this.error = null;
    } catch (error) {
      if (this.#nodeId !== nodeId) return;
      this.error = describeError(error);
    }
  }
}
