import type { NodeId, TaskId } from '@tessera/shared';
import { openTask, type OpenTask } from './open-task.ts';
import type { TaskRecord } from './task-record.ts';
import { TaskQueue } from './task-queue.ts';

/**
 * A queued task whose input waits in the store, not in memory: what the queue needs to order it, count
 * it and expire it. Only tasks submitted with no direct stream are stored this way; they have no attempt
 * history yet, so nothing else of an open task is lost by rebuilding it from the store.
 */
export interface StoredQueuedTask {
  id: TaskId;
  model: string;
  priority: number;
  deadlineAt: number;
  client: string;
  bytes: number;
}

/**
 * The tasks the dispatcher is working on, in memory for speed (the store is the truth), and the order
 * of the queued ones: one FIFO per model and priority. Counts follow the records' states, so they
 * cannot drift from them. Pinned tasks (known-answer checks) are open but never queued or counted.
 * A large queued input waits in the store (`addStored`) and is read back when its turn comes, so a
 * long queue of big requests costs the database, not the heap.
 */
export class OpenTasks {
  readonly #tasks = new Map<TaskId, OpenTask>();
  readonly #stored = new Map<TaskId, StoredQueuedTask>();
  readonly #queue = new TaskQueue();
  readonly #load: (id: TaskId) => TaskRecord | undefined;
  readonly #largeInputBytes: number;
  #queued = 0;
  #pinned = 0;
  #bytes = 0;
  readonly #bytesByClient = new Map<string, number>();

  /**
   * `load` reads a stored task's record back from the store; queued inputs of `largeInputBytes` or more
   * wait there (by default none do).
   */
  constructor(options: { load?: (id: TaskId) => TaskRecord | undefined; largeInputBytes?: number } = {}) {
    this.#load = options.load ?? (() => undefined);
    this.#largeInputBytes = options.largeInputBytes ?? Infinity;
  }

  /** An open task held in memory: every running task, and queued ones whose input is small. */
  get(id: TaskId): OpenTask | undefined {
    return this.#tasks.get(id);
  }

  /** Whether this process holds the open task, in memory or as a queue entry whose input waits in the store. */
  holds(id: TaskId): boolean {
    return this.#tasks.has(id) || this.#stored.has(id);
  }

  /** An open task, read back from the store first if its input waits there; for acting on a queued task. */
  load(id: TaskId): OpenTask | undefined {
    return this.#tasks.get(id) ?? this.#restore(id);
  }

  /** Queued tasks whose input waits in the store and whose deadline has passed. */
  storedPastDeadline(now: number): TaskId[] {
    const ids: TaskId[] = [];
    for (const stored of this.#stored.values()) if (stored.deadlineAt <= now) ids.push(stored.id);
    return ids;
  }

  /** Queued tasks whose input waits in the store. */
  get storedCount(): number {
    return this.#stored.size;
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

  /**
   * A task just stored (submitted, or recovered after a restart) joins the open ones: in memory, or, when
   * it is queued, large and streams to no tab directly, as a queue entry whose input stays in the store.
   */
  admit(record: TaskRecord, directTo: NodeId | null, client: string, bytes: number): void {
    if (bytes >= this.#largeInputBytes && directTo === null && record.status === 'queued') {
      const { id, priority, deadlineAt } = record;
      this.addStored({ id, model: record.spec.model, priority, deadlineAt, client, bytes });
    } else {
      this.add(openTask(record, directTo, null, client, bytes));
    }
  }

  /** Queues a task whose input stays in the store until its turn (`load`, `next`). */
  addStored(task: StoredQueuedTask): void {
    this.#stored.set(task.id, task);
    this.#weigh(task, +1);
    this.#queue.enqueue(task.model, { id: task.id, priority: task.priority }, false);
    this.#queued++;
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

  /** Queued tasks held here, with the tab each streams to directly (if any): what scale-out may give back to the network. */
  queuedHere(): Array<{ id: TaskId; model: string; directTo: NodeId | null }> {
    const queued: Array<{ id: TaskId; model: string; directTo: NodeId | null }> = [];
    for (const { id, model } of this.#stored.values()) queued.push({ id, model, directTo: null });
    for (const { record, pinned, directTo } of this.#tasks.values()) {
      if (pinned === null && record.status === 'queued') queued.push({ id: record.id, model: record.spec.model, directTo });
    }
    return queued;
  }

  /** A queued task leaves this process without ending; its record stays in the store. */
  forget(id: TaskId): void {
    const stored = this.#stored.get(id);
    if (stored !== undefined) {
      this.#stored.delete(id);
      this.#weigh(stored, -1);
      this.#queued--;
      return;
    }
    const task = this.#tasks.get(id);
    if (task !== undefined && task.record.status === 'queued') this.remove(task);
  }

  /** The task ended: it leaves memory (its record stays in the store). */
  remove(task: OpenTask): void {
    if (this.#tasks.get(task.record.id) !== task) return;
    this.#tasks.delete(task.record.id);
    if (task.pinned === null) this.#weigh(task, -1);
    if (task.pinned !== null) this.#pinned--;
    else if (task.record.status === 'queued') this.#queued--;
  }

  /** The first queued task of a model, in service order (read back from the store if it waits there). */
  next(model: string): OpenTask | undefined {
    for (;;) {
      const id = this.#queue.peek(model, this.#isQueued);
      if (id === undefined) return undefined;
      const task = this.load(id);
      // A stored task the store no longer has queued was dropped by `#restore`; look again.
      if (task !== undefined) return task;
    }
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
    for (const { model } of this.#stored.values()) byModel[model] = (byModel[model] ?? 0) + 1;
    return byModel;
  }

  /** Bytes of input held for open tasks: in all, or of one client. */
  bytes(client?: string): number {
    return client === undefined ? this.#bytes : (this.#bytesByClient.get(client) ?? 0);
  }

  #weigh(task: { client: string; bytes: number }, sign: 1 | -1): void {
    this.#bytes += sign * task.bytes;
    const next = (this.#bytesByClient.get(task.client) ?? 0) + sign * task.bytes;
    if (next === 0) this.#bytesByClient.delete(task.client);
    else this.#bytesByClient.set(task.client, next);
  }

  counts(): { queued: number; assigned: number } {
    return { queued: this.#queued, assigned: this.#tasks.size + this.#stored.size - this.#pinned - this.#queued };
  }

  #enqueue(task: OpenTask, atFront: boolean): void {
    this.#queue.enqueue(task.record.spec.model, { id: task.record.id, priority: task.record.priority }, atFront);
    this.#queued++;
  }

  /** Brings a stored task into memory; its queue entry stays where it is, since the id is the same. */
  #restore(id: TaskId): OpenTask | undefined {
    const stored = this.#stored.get(id);
    if (stored === undefined) return undefined;
    this.#stored.delete(id);
    const record = this.#load(id);
    if (record?.status === 'queued') {
      const task = openTask(record, null, null, stored.client, stored.bytes);
      this.#tasks.set(id, task);
      return task;
    }
    // Only this process changes its queued tasks, so this is a store that lost or changed one behind its back.
    this.#weigh(stored, -1);
    this.#queued--;
    return undefined;
  }

  // Lazy removal: an id that left the queue (assigned, cancelled, expired) is skipped at the head.
  readonly #isQueued = (id: TaskId): boolean => {
    if (this.#stored.has(id)) return true;
    const task = this.#tasks.get(id);
    return task !== undefined && task.pinned === null && task.record.status === 'queued';
  };
}
