import type { ClientAddress } from './admission-address.ts';

/** Tabs connected now from one client's address and from its prefix. */
export interface ConnectedTabs {
  address: number;
  prefix: number;
}

/**
 * What `decide` answers: whether the connection takes a place, and what `admit` gives back either way.
 * A refusal holds nothing.
 */
export interface HoldDecision<T> {
  hold: boolean;
  outcome: T;
}

/**
 * The tabs admission counts per address and prefix, and the places admitted connections hold: in memory
 * for a coordinator alone (`LocalConnectionCounts`), in the shared database for several instances of one
 * network (`SharedConnectionCounts`). `AdmissionControl` uses either the same way.
 */
export interface ConnectionCounts {
  connected(client: ClientAddress): ConnectedTabs;
  /** Whether the connection holds a place now. */
  holds(connectionId: string): boolean;
  /**
   * Asks `decide`, given the tabs connected now, whether the connection takes a place, and holds it if so.
   * No other hello from the client's prefix is decided in between, here or on another instance, so two can
   * never both take the last place; what `decide` writes to the database is kept only with the place.
   */
  admit<T>(connectionId: string, client: ClientAddress, decide: (connected: ConnectedTabs) => HoldDecision<T>): T;
  /** The connection closed: its place is free. Safe to call for connections that hold none. */
  release(connectionId: string): void;
}
