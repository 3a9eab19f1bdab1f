/** Completions over a sliding window, bucketed per second so recording stays O(1). */
export class ThroughputMeter {
  readonly #windowSeconds: number;
  readonly #tasks: number[];
  readonly #tokens: number[];
  #lastSecond = 0;

  constructor(
    windowSeconds = 60,
    private readonly now: () => number = Date.now,
  ) {
    this.#windowSeconds = windowSeconds;
    this.#tasks = new Array<number>(windowSeconds).fill(0);
    this.#tokens = new Array<number>(windowSeconds).fill(0);
  }

  record(tokens: number): void {
    const slot = this.#advance();
    this.#tasks[slot] = (this.#tasks[slot] ?? 0) + 1;
    this.#tokens[slot] = (this.#tokens[slot] ?? 0) + tokens;
  }

  snapshot(): { tasksPerMinute: number; tokensPerSecond: number } {
    this.#advance();
    const tasks = this.#tasks.reduce((sum, n) => sum + n, 0);
    const tokens = this.#tokens.reduce((sum, n) => sum + n, 0);
    return { tasksPerMinute: (tasks * 60) / this.#windowSeconds, tokensPerSecond: tokens / this.#windowSeconds };
  }

  /** Clears the buckets of the seconds that passed since the last call; returns the current slot. */
  #advance(): number {
    const second = Math.floor(this.now() / 1000);
    const gap = Math.min(second - this.#lastSecond, this.#windowSeconds);
    for (let i = 1; i <= gap; i++) {
      const slot = (this.#lastSecond + i) % this.#windowSeconds;
      this.#tasks[slot] = 0;
      this.#tokens[slot] = 0;
    }
    this.#lastSecond = second;
    return second % this.#windowSeconds;
  }
}
