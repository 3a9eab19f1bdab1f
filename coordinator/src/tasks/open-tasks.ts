import type { TaskId } from '@tessera/shared';
import type { OpenTask } from './open-task.ts';
import type { TaskRecord } from './task-record.ts';
import { TaskQueue } from './task-queue.ts';

/**
 * The tasks the dispatcher is working on, in memory for speed (the store is the truth), and the order
 * of the queued ones: one FIFO per model and priority. Counts follow the records' states, so they
 * cannot drift from them. Pinned tasks (known-answer checks) are open but never queued or counted.
 */
export class OpenTasks {
  readonly #tasks = new Map<TaskId, OpenTask>();
  readonly #queue = new TaskQueue();
  #queued = 0;
  #pinned = 0;
  #bytes = 0;
  readonly #bytesByClient = new Map<string, number>();

  get(id: TaskId): OpenTask | undefined {
    return this.#tasks.get(id);
  }

  /** A snapshot, safe to change the tasks while iterating. */
  list(): OpenTask[] {
    return [...this.#tasks.values()];
  }

  get size(): number {
    return this.#tasks.size;
  }

  /** Adds a task; a queued one joins the back of its queue, or the front (`atFront`). */
  add(task: OpenTask): void {
    this.#tasks.set(task.record.id, task);
    if (task.pinned === null) this.#weigh(task, +1);
    if (task.pinned !== null) this.#pinned++;
    else if (task.record.status === 'queued') this.#enqueue(task, false);
  }

  /** Adopts a task's next record (after the store took the change), keeping queue and counts in step. */
  adopt(task: OpenTask, next: TaskRecord): void {
    const before = task.record.status;
    Object.assign(task.record, next);
    if (task.pinned !== null || before === next.status) return;
    // Back to the front: a requeued task has waited its turn already.
    if (next.status === 'queued') this.#enqueue(task, true);
    else if (before === 'queued') this.#queued--;
  }

  /** The task ended: it leaves memory (its record stays in the store). */
  remove(task: OpenTask): void {
    if (this.#tasks.get(task.record.id) !== task) return;
    this.#tasks.delete(task.record.id);
    if (task.pinned === null) this.#weigh(task, -1);
    if (task.pinned !== null) this.#pinned--;
    else if (task.record.status === 'queued') this.#queued--;
  }

  /** The first queued task of a model, in service order. */
  next(model: string): OpenTask | undefined {
    const id = this.#queue.peek(model, this.#isQueued);
    return id === undefined ? undefined : this.#tasks.get(id);
  }

  position(record: TaskRecord): number | null {
    if (record.status !== 'queued') return null;
    return this.#queue.position(record.spec.model, record.id, this.#isQueued);
  }

  queuedByModel(): Record<string, number> {
    const byModel: Record<string, number> = {};
    for (const { record, pinned } of this.#tasks.values()) {
      if (pinned === null && record.status === 'queued') byModel[record.spec.model] = (byModel[record.spec.model] ?? 0) + 1;
    }
    return byModel;
  }

  /** Bytes of input held for open tasks: in all, or of one client. */
  bytes(client?: string): number {
    return client === undefined ? this.#bytes : (this.#bytesByClient.get(client) ?? 0);
  }

  #weigh(task: OpenTask, sign: 1 | -1): void {
    this.#bytes += sign * task.bytes;
    const next = (this.#bytesByClient.get(task.client) ?? 0) + sign * task.bytes;
    if (next === 0) this.#bytesByClient.delete(task.client);
    else this.#bytesByClient.set(task.client, next);
  }

  counts(): { queued: number; assigned: number } {
    return { queued: this.#queued, assigned: this.#tasks.size - this.#pinned - this.#queued };
  }

  #enqueue(task: OpenTask, atFront: boolean): void {
    this.#queue.enqueue(task.record.spec.model, { id: task.record.id, priority: task.record.priority }, atFront);
    this.#queued++;
  }

  // Lazy removal: an id that left the queue (assigned, cancelled, expired) is skipped at the head.
  readonly #isQueued = (id: TaskId): boolean => {
    const task = this.#tasks.get(id);
    return task !== undefined && task.pinned === null && task.record.status === 'queued';
  };
}
