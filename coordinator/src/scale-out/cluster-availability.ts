import type { ClusterChannel } from '../cluster/cluster-channel.ts';
import type { Startable } from '../lifecycle/startable.ts';
import type { LocalAvailability, ModelAvailability } from '../placement/model-availability.ts';

export interface ClusterAvailabilityOptions {
  channel: ClusterChannel;
  local: LocalAvailability;
  /** How often this instance names the models its tabs may serve. */
  advertiseMs?: number;
  now?: () => number;
}

/**
 * Availability across instances (scale-out): a task accepted here may be served by a tab on another
 * instance, so it fails fast only when no instance has a tab for its model. Each instance names, every
 * second, the models its tabs may serve soon; a name older than three periods is forgotten (its instance
 * died). Until this instance has heard a full period, it cannot know, and fails nothing. The same message
 * says how many tabs serve each model there, so `/v1/models` counts the whole network's tabs.
 */
export class ClusterAvailability implements ModelAvailability, Startable {
  readonly #options: ClusterAvailabilityOptions;
  readonly #now: () => number;
  readonly #heard = new Map<string, { models: ReadonlySet<string>; online: Readonly<Record<string, number>>; at: number }>();
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => void) | undefined;

  constructor(options: ClusterAvailabilityOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#startedAt = this.#now();
    this.#unlisten = this.#options.channel.listen((message, from) => {
      if (message.event === 'models:servable')
        this.#heard.set(from, { models: new Set(message.payload.models), online: message.payload.online, at: this.#now() });
    });
    this.#timer = setInterval(() => this.#advertise(), this.#period());
    this.#timer.unref();
    this.#advertise();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unlisten?.();
  }

  servable(modelId: string): boolean {
    if (this.#options.local.servable(modelId)) return true;
    const now = this.#now();
    if (now - this.#startedAt < 2 * this.#period()) return true;
    for (const heard of this.#fresh(now)) if (heard.models.has(modelId)) return true;
    return false;
  }

  online(modelId: string): number {
    let count = this.#options.local.online(modelId);
    for (const heard of this.#fresh(this.#now())) count += heard.online[modelId] ?? 0;
    return count;
  }

  /** What live instances said last; an instance silent for three periods died, and is forgotten. */
  *#fresh(now: number): Iterable<{ models: ReadonlySet<string>; online: Readonly<Record<string, number>> }> {
    for (const [instance, heard] of this.#heard) {
      if (heard.at < now - 3 * this.#period()) this.#heard.delete(instance);
      else yield heard;
    }
  }

  #period(): number {
    return this.#options.advertiseMs ?? 1000;
  }

  #advertise(): void {
    const models = [...this.#options.local.models()].slice(0, 1000);
    const online: Record<string, number> = {};
    for (const modelId of models) {
      const count = this.#options.local.online(modelId);
      if (count > 0) online[modelId] = count;
    }
    void this.#options.channel.publish({ event: 'models:servable', payload: { models, online } });
  }
}
