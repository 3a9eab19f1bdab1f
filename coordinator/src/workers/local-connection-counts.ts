import type { ClientAddress } from './admission-address.ts';
import type { ConnectedTabs, ConnectionCounts, HoldDecision } from './connection-counts.ts';

/**
 * A coordinator alone counts in memory: connections do not outlive the process, so nothing is written per
 * hello. Synchronous: `decide` and the count it saw cannot be separated by another hello.
 */
export class LocalConnectionCounts implements ConnectionCounts {
  readonly #admitted = new Map<string, ClientAddress>();
  readonly #perAddress = new Map<string, number>();
  readonly #perPrefix = new Map<string, number>();

  connected(client: ClientAddress): ConnectedTabs {
    return { address: this.#perAddress.get(client.address) ?? 0, prefix: this.#perPrefix.get(client.prefix) ?? 0 };
  }

  holds(connectionId: string): boolean {
    return this.#admitted.has(connectionId);
  }

  admit<T>(connectionId: string, client: ClientAddress, decide: (connected: ConnectedTabs) => HoldDecision<T>): T {
    const decision = decide(this.connected(client));
    if (!decision.hold) return decision.outcome;
    this.#admitted.set(connectionId, client);
    this.#perAddress.set(client.address, (this.#perAddress.get(client.address) ?? 0) + 1);
    this.#perPrefix.set(client.prefix, (this.#perPrefix.get(client.prefix) ?? 0) + 1);
    return decision.outcome;
  }

  release(connectionId: string): void {
    const client = this.#admitted.get(connectionId);
    if (client === undefined) return;
    this.#admitted.delete(connectionId);
    decrement(this.#perAddress, client.address);
    decrement(this.#perPrefix, client.prefix);
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 0) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
