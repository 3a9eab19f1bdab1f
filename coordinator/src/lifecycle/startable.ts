/**
 * A long-lived part of the coordinator (a timer loop, a settlement loop, a socket namespace). Started
 * when the app is ready and stopped when it closes, in reverse order, so tests end cleanly and nothing
 * runs against a closed database.
 */
export interface Startable {
  start(): void;
  stop(): void | Promise<void>;
}

/** Starts each part in order; stops them in reverse. One owner for the start/stop lists. */
export class Lifecycle {
  readonly #parts: Startable[] = [];

  add(part: Startable): void {
    this.#parts.push(part);
  }

  start(): void {
    for (const part of this.#parts) part.start();
  }

  async stop(): Promise<void> {
    for (const part of [...this.#parts].reverse()) await part.stop();
  }
}

/** Calls `tick` every `intervalMs` between start and stop; the timer never keeps the process alive. */
export class IntervalLoop implements Startable {
  readonly #tick: () => void;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(tick: () => void, intervalMs: number) {
    this.#tick = tick;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(this.#tick, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
