import { IntervalLoop, type Startable } from '../lifecycle/startable.ts';

/**
 * Takes back tasks whose tab let the lease run out and fails tasks nobody took before their deadline,
 * by calling the dispatcher's `reap` on a timer.
 */
export class LeaseReaper implements Startable {
  readonly #loop: IntervalLoop;

  constructor(dispatcher: { reap(): void }, intervalMs: number) {
    this.#loop = new IntervalLoop(() => dispatcher.reap(), intervalMs);
  }

  start(): void {
    this.#loop.start();
  }

  stop(): void {
    this.#loop.stop();
  }
}
