import { TesseraError } from '@tessera/shared';
import type { ConfigurableEngine } from '../node/model-loader.ts';

export interface PaceClock {
  now: () => number;
  /** Resolves after `ms`, or rejects when `signal` aborts first. */
  sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

const realClock: PaceClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new TesseraError('task_cancelled', 'Cancelled while resting.'));
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(new TesseraError('task_cancelled', 'Cancelled while resting.'));
        },
        { once: true },
      );
    }),
};

/**
 * Holds an engine to a share of one core (the widget's `max-cpu`): after a run that kept the engine busy for
 * `b` ms, the next run starts no sooner than `b × (1 − share) / share` ms later, so over time the engine
 * works at most `share` of the wall clock. The engine runs on one thread (a widget's frame is not
 * cross-origin isolated, so WASM has no threads), which makes that a share of one core. Runs wait their
 * turn in order; a cancelled task stops waiting. Loads are not paced: they are mostly downloading.
 */
export function pacedEngine(engine: ConfigurableEngine, share: number, clock: PaceClock = realClock): ConfigurableEngine {
  const restFactor = share >= 1 ? 0 : (1 - share) / share;
  let readyAt = 0;
  let turn: Promise<void> = Promise.resolve();

  async function paced<Result>(signal: AbortSignal | undefined, run: () => Promise<Result>): Promise<Result> {
    const previous = turn;
    let release = (): void => undefined;
    turn = new Promise((resolve) => (release = resolve));
    try {
      await previous;
      const wait = readyAt - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
      const started = clock.now();
      try {
        return await run();
      } finally {
        const ended = clock.now();
        readyAt = ended + (ended - started) * restFactor;
      }
    } finally {
      release();
    }
  }

  return {
    configure: (settings) => engine.configure(settings),
    load: (request) => engine.load(request),
    generate: (request) => paced(request.signal, () => engine.generate(request)),
    embed: (request) => paced(request.signal, () => engine.embed(request)),
    score: (request) => paced(request.signal, () => engine.score(request)),
    unload: (modelId) => engine.unload(modelId),
    listLoaded: () => engine.listLoaded(),
  };
}
