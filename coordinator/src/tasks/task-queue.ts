import type { TaskId } from '@tessera/shared';

interface QueueEntry {
  id: TaskId;
  priority: number;
}

/** FIFO per priority level; lower priority numbers are served first. */
class PriorityFifo {
  readonly #levels = new Map<number, TaskId[]>();
  readonly #heads = new Map<number, number>();
  #sortedPriorities: number[] = [];

  push(entry: QueueEntry, atFront: boolean): void {
    let level = this.#levels.get(entry.priority);
    if (level === undefined) {
      level = [];
      this.#levels.set(entry.priority, level);
      this.#heads.set(entry.priority, 0);
      this.#sortedPriorities = [...this.#levels.keys()].sort((a, b) => a - b);
    }
    const head = this.#heads.get(entry.priority) ?? 0;
    if (atFront && head > 0) {
      level[head - 1] = entry.id;
      this.#heads.set(entry.priority, head - 1);
    } else if (atFront) {
      level.unshift(entry.id);
    } else {
      level.push(entry.id);
    }
  }

  /** Yields ids in service order without removing them. */
  *entries(): Generator<TaskId> {
    for (const priority of this.#sortedPriorities) {
      const level = this.#levels.get(priority) ?? [];
      for (let i = this.#heads.get(priority) ?? 0; i < level.length; i++) {
        const id = level[i];
        if (id !== undefined) yield id;
      }
    }
  }

  /** Removes and returns the first id for which `isLive` holds, discarding dead ones on the way. */
  shiftLive(isLive: (id: TaskId) => boolean, peekOnly: boolean): TaskId | undefined {
    for (const priority of this.#sortedPriorities) {
      const level = this.#levels.get(priority);
      if (level === undefined) continue;
      let head = this.#heads.get(priority) ?? 0;
      while (head < level.length) {
        const id = level[head];
        if (id !== undefined && isLive(id)) {
          if (!peekOnly) head++;
          this.#compact(priority, level, head);
          return id;
        }
        head++;
      }
      this.#compact(priority, level, head);
    }
    return undefined;
  }

  #compact(priority: number, level: TaskId[], head: number): void {
    // Amortised O(1): drop the consumed prefix once it dominates the array.
    if (head > 1024 && head * 2 > level.length) {
      level.splice(0, head);
      head = 0;
    }
    if (head >= level.length) {
      level.length = 0;
      head = 0;
    }
    this.#heads.set(priority, head);
  }
}

/**
 * The in-memory order of queued tasks, one FIFO per model and priority. Removal is lazy: a task that
 * left the queue (assigned, cancelled, expired) is skipped when it reaches the head, so cancel is O(1).
 */
export class TaskQueue {
  readonly #byModel = new Map<string, PriorityFifo>();

  enqueue(model: string, entry: QueueEntry, atFront = false): void {
    let fifo = this.#byModel.get(model);
    if (fifo === undefined) {
      fifo = new PriorityFifo();
      this.#byModel.set(model, fifo);
    }
    fifo.push(entry, atFront);
  }

  peek(model: string, isLive: (id: TaskId) => boolean): TaskId | undefined {
    return this.#byModel.get(model)?.shiftLive(isLive, true);
  }

  shift(model: string, isLive: (id: TaskId) => boolean): TaskId | undefined {
    return this.#byModel.get(model)?.shiftLive(isLive, false);
  }

  /** 0-based position among live queued tasks of the same model, or null if it is not queued. */
  position(model: string, id: TaskId, isLive: (id: TaskId) => boolean): number | null {
    const fifo = this.#byModel.get(model);
    if (fifo === undefined) return null;
    let position = 0;
    for (const candidate of fifo.entries()) {
      if (!isLive(candidate)) continue;
      if (candidate === id) return position;
      position++;
    }
    return null;
  }

  models(): IterableIterator<string> {
    return this.#byModel.keys();
  }
}
