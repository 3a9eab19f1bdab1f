import { OBSERVERS_NAMESPACE, type NetworkSnapshot, type ObserverServerToClientEvents } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Namespace, Server } from 'socket.io';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { Startable } from '../lifecycle/startable.ts';
import type { ObserverHistoryStore } from './observer-history.ts';
import { ObserverMeter } from './observer-meter.ts';

export const OBSERVER_SAMPLE_MS = 10_000;
export const OBSERVER_PUSH_MS = 3000;
export const OBSERVER_KEEP_MS = 24 * 60 * 60 * 1000;
/** A burst of changes (many tasks finishing at once) pushes one snapshot, not one each. */
const CHANGE_PUSH_DELAY_MS = 250;

export interface ObserverStreamOptions {
  events: CoordinatorEventBus;
  history: ObserverHistoryStore;
  snapshot: () => NetworkSnapshot;
  logger: Pick<FastifyBaseLogger, 'warn'>;
  /**
   * With several instances on one database only the leader samples, so the shared table holds one series
   * (the leader's view of the network); every instance serves that history. Alone: always true.
   */
  samples?: () => boolean;
  sampleMs?: number;
  pushMs?: number;
  now?: () => number;
}

type ObserverNamespace = Namespace<Record<string, never>, ObserverServerToClientEvents>;

/**
 * The `/observers` namespace: the dashboard's live view. On connect a viewer gets the stored history and a
 * snapshot; then a snapshot every `pushMs` and soon after a tab comes or goes or a task ends, and each new
 * sample as it is taken. Nothing is received: viewers only listen, and need no key (the same data as
 * `GET /api/v1/network`).
 */
export class ObserverStream implements Startable {
  readonly #options: ObserverStreamOptions;
  readonly #meter: ObserverMeter;
  readonly #now: () => number;
  #namespace: ObserverNamespace | undefined;
  #timers: NodeJS.Timeout[] = [];
  #pending: NodeJS.Timeout | undefined;
  #off: (() => void)[] = [];

  constructor(options: ObserverStreamOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#meter = new ObserverMeter(this.#now());
  }

  listen(io: Server): void {
    const namespace: ObserverNamespace = io.of(OBSERVERS_NAMESPACE);
    this.#namespace = namespace;
    namespace.on('connection', (socket) => {
      try {
        socket.emit('observers:history', { sampleMs: this.#sampleMs, samples: this.#options.history.recent(this.#now()) });
        socket.emit('observers:snapshot', this.#options.snapshot());
      } catch (error) {
        this.#options.logger.warn({ err: error }, 'could not send an observer its history');
      }
    });
  }

  start(): void {
    const { events } = this.#options;
    this.#off = [
      this.#meter.observe(events),
      ...(['task:succeeded', 'task:failed', 'task:submitted', 'worker:joined', 'worker:gone'] as const).map((name) =>
        events.on(name, () => this.#soon()),
      ),
    ];
    // One sample at start, so a restarted coordinator's viewers see it is back without waiting an interval.
    this.sampleNow();
    this.#timers = [
      setInterval(() => this.sampleNow(), this.#sampleMs),
      setInterval(() => this.pushSnapshot(), this.#options.pushMs ?? OBSERVER_PUSH_MS),
    ];
    for (const timer of this.#timers) timer.unref();
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#pending);
    this.#timers = [];
    this.#pending = undefined;
    for (const off of this.#off) off();
    this.#off = [];
    this.#namespace?.local.disconnectSockets(true);
  }

  /** Takes a sample (when this instance samples), stores it and pushes it to viewers. */
  sampleNow(): void {
    if (this.#options.samples !== undefined && !this.#options.samples()) return;
    try {
      const sample = this.#meter.sample(this.#now(), this.#options.snapshot());
      this.#options.history.add(sample);
      // Not `local`: with the Redis adapter the leader's sample reaches viewers on every instance.
      this.#namespace?.emit('observers:sample', sample);
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'could not take a dashboard sample');
    }
  }

  pushSnapshot(): void {
    if (this.#namespace === undefined || this.#namespace.sockets.size === 0) return;
    this.#namespace.local.emit('observers:snapshot', this.#options.snapshot());
  }

  get #sampleMs(): number {
    return this.#options.sampleMs ?? OBSERVER_SAMPLE_MS;
  }

  #soon(): void {
    if (this.#pending !== undefined) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.pushSnapshot();
    }, CHANGE_PUSH_DELAY_MS);
    this.#pending.unref();
  }
}
