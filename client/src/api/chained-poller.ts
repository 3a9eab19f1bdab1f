export interface ChainedPollerOptions {
  intervalMs: number;
  /** One read. It reports its own errors; `signal` aborts when the poller stops or polls again. */
  poll: (signal: AbortSignal) => Promise<void>;
}

/**
 * Reads now and then again `intervalMs` after each read ends: chained, not on an interval, so a slow
 * coordinator never gets overlapping requests. Stopping (or polling now) aborts the read in flight.
 */
export class ChainedPoller {
  readonly #options: ChainedPollerOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: AbortController | null = null;
  #running = false;

  constructor(options: ChainedPollerOptions) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.pollNow();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#inFlight?.abort();
    this.#inFlight = null;
  }

  /** Reads at once instead of at the next tick; resolves when that read is done. */
  async pollNow(): Promise<void> {
    clearTimeout(this.#timer);
    this.#inFlight?.abort();
    if (!this.#running) return;
    const abort = new AbortController();
    this.#inFlight = abort;
    try {
      await this.#options.poll(abort.signal);
    } catch {
      // `poll` reports its own failures; the loop carries on.
    }
    if (this.#running && this.#inFlight === abort) this.#timer = setTimeout(() => void this.pollNow(), this.#options.intervalMs);
  }
}
