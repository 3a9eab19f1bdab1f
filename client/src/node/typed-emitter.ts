type Listeners<Events> = { [E in keyof Events]?: Set<(payload: Events[E]) => void> };

/**
 * A synchronous event emitter typed by an event map (`{ 'model:changed': ModelLoadState, … }`), so a
 * listener's payload type follows from the event's name. A listener that throws does not stop the others:
 * its error is rethrown in a microtask, where it is reported without breaking the emitter.
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners: Listeners<Events> = {};

  /** Calls `listener` on every `event`; returns the function that stops it. */
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    const listeners: Set<(payload: Events[E]) => void> = this.#listeners[event] ?? new Set();
    this.#listeners[event] = listeners;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const listener of this.#listeners[event] ?? []) {
      try {
        listener(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
