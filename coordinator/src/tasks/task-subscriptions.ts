import type { TaskId } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { TaskEvent, TaskListener } from './task-event.ts';

/** Callers waiting on tasks (API requests, SSE streams): one set of listeners per task. */
export class TaskSubscriptions {
  readonly #listeners = new Map<TaskId, Set<TaskListener>>();
  readonly #logger: FastifyBaseLogger;

  constructor(logger: FastifyBaseLogger) {
    this.#logger = logger;
  }

  /** Listens to a task's events; returns the unsubscribe function. */
  subscribe(id: TaskId, listener: TaskListener): () => void {
    let set = this.#listeners.get(id);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(id);
    };
  }

  ids(): TaskId[] {
    return [...this.#listeners.keys()];
  }

  has(id: TaskId): boolean {
    return this.#listeners.has(id);
  }

  /** Tells the task's listeners; a listener that throws is logged and does not stop the others. */
  emit(id: TaskId, event: TaskEvent): void {
    const listeners = this.#listeners.get(id);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: error, taskId: id }, 'task listener threw');
      }
    }
  }

  /** The task ended: its last event has been emitted and its listeners go. */
  close(id: TaskId, event: TaskEvent): void {
    this.emit(id, event);
    this.#listeners.delete(id);
  }
}
