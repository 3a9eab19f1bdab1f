import type { CoordinatorEventBus } from '../events/coordinator-events.ts';

export interface CoAppearancePolicy {
  /** Two keys whose tabs connect (or disconnect) this close together appeared together once. */
  windowMs: number;
  /** Appearances together, within `horizonMs`, that tie two keys: one script driving both. */
  linkAfter: number;
  /** How long an appearance together is remembered. */
  horizonMs: number;
  /**
   * More arrivals (or departures) than this inside one window are a crowd — a coordinator restart, a
   * popular page going live — and say nothing about any pair in it, so they are not counted at all.
   */
  crowdSize: number;
  /** Pairs remembered at most; the oldest are forgotten first, so memory stays bounded under churn. */
  maxPairs: number;
}

export const DEFAULT_CO_APPEARANCE_POLICY: CoAppearancePolicy = {
  windowMs: 2_000,
  linkAfter: 3,
  horizonMs: 24 * 3_600_000,
  crowdSize: 6,
  maxPairs: 100_000,
};

interface Sighting {
  key: string;
  at: number;
}

/** A map key for an unordered pair. */
function pairOf(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * Keys whose tabs keep coming and going together. An attacker who runs a lying worker and the guard meant
 * to wave its lies through from one script starts and stops them together, again and again; such a guard
 * is never asked to check that worker. Honest tabs rarely share three arrivals or departures within two
 * seconds, and when they do the cost is only that one guard is not drawn for one worker. The watch reads
 * only when tabs connect and leave — the coordinator's own observations — and keeps everything in memory:
 * a link forgotten in a restart is relearned from the next appearances.
 */
export class CoAppearanceWatch {
  readonly #policy: CoAppearancePolicy;
  readonly #now: () => number;
  readonly #recent = { joined: [] as Sighting[], left: [] as Sighting[] };
  /** Per pair, when they appeared together (oldest first); Map order is the order pairs were first seen. */
  readonly #together = new Map<string, number[]>();

  constructor(options: { policy?: Partial<CoAppearancePolicy>; now?: () => number } = {}) {
    this.#policy = { ...DEFAULT_CO_APPEARANCE_POLICY, ...options.policy };
    this.#now = options.now ?? Date.now;
  }

  /** Sees every tab arrive and leave on the event bus. */
  observe(events: CoordinatorEventBus): void {
    events.on('worker:joined', ({ worker }) => this.sighted('joined', worker.key.publicKey));
    events.on('worker:gone', ({ worker }) => this.sighted('left', worker.key.publicKey));
  }

  sighted(kind: 'joined' | 'left', key: string): void {
    const at = this.#now();
    const recent = this.#recent[kind];
    while (recent.length > 0 && at - (recent[0]?.at ?? at) > this.#policy.windowMs) recent.shift();
    const others = new Set(recent.filter((sighting) => sighting.key !== key).map((sighting) => sighting.key));
    recent.push({ key, at });
    // The window can also be a crowd because of this arrival; the burst's earlier pairs were counted,
    // which is the price of deciding at once rather than after the window.
    if (others.size >= this.#policy.crowdSize) return;
    for (const other of others) this.#count(pairOf(key, other), at);
  }

  /** Whether `a` and `b` appeared together often enough, recently enough, to be treated as one owner. */
  linked(a: string, b: string): boolean {
    const times = this.#together.get(pairOf(a, b));
    if (times === undefined) return false;
    const since = this.#now() - this.#policy.horizonMs;
    return times.filter((at) => at >= since).length >= this.#policy.linkAfter;
  }

  /** Pairs remembered now: bounded by `maxPairs`. */
  get pairs(): number {
    return this.#together.size;
  }

  #count(pair: string, at: number): void {
    const since = at - this.#policy.horizonMs;
    const times = (this.#together.get(pair) ?? []).filter((earlier) => earlier >= since);
    times.push(at);
    // Re-inserted so the Map's order stays "least recently seen first" for eviction.
    this.#together.delete(pair);
    this.#together.set(pair, times.slice(-this.#policy.linkAfter));
    while (this.#together.size > this.#policy.maxPairs) {
      const oldest = this.#together.keys().next().value;
      if (oldest === undefined) break;
      this.#together.delete(oldest);
    }
  }
}
