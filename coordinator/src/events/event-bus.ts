export type EventListener<Payload> = (payload: Payload) => void;

/**
 * A typed, synchronous publish/subscribe channel. Synchronous on purpose: a listener runs inside the
 * emitter's call, so one that writes to the database (credit, reputation) commits or rolls back with the
 * transaction the emitter opened, and nothing is ever delivered twice or after the fact. A listener that
 * throws aborts the emit, as Node's EventEmitter does: failing to credit a result must fail the result.
 *
 * @example
 * const bus = new EventBus<{ 'task:succeeded': { id: string } }>();
 * const off = bus.on('task:succeeded', ({ id }) => console.log(id));
 * bus.emit('task:succeeded', { id: 'a' });
 * off();
 */
/** `Events` maps each event name to the one payload its listeners receive. */
export class EventBus<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<EventListener<never>>>();

  /** Subscribes; returns the unsubscribe function. */
  on<Event extends keyof Events>(event: Event, listener: EventListener<Events[Event]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<Event extends keyof Events>(event: Event, payload: Events[Event]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) (listener as EventListener<Events[Event]>)(payload);
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
