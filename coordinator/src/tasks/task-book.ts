import type { NodeId, TaskId, TaskResult, WireError } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { OpenTask } from './open-task.ts';
import { OpenTasks } from './open-tasks.ts';
import type { TaskEvent, TaskListener } from './task-event.ts';
import type { TaskRecord, TaskResultRecord } from './task-record.ts';
import type { TaskStore } from './task-store.ts';
import { TaskStream } from './task-stream.ts';
import { TaskSubscriptions } from './task-subscriptions.ts';
import { applyTaskChange, type TaskChange } from './task-transitions.ts';

export interface TaskBookOptions {
  store: TaskStore;
  registry: WorkerRegistry;
  events: CoordinatorEventBus;
  logger: FastifyBaseLogger;
  now: () => number;
  /** Queued inputs at least this large wait in the store, not in memory, until their turn. */
  largeInputBytes?: number;
}

/**
 * The record keeping of the task lifecycle: every change goes through the state machine, is written to
 * the store (pinned tasks live in memory only), then adopted in memory; callers waiting on a task and the
 * event bus hear of the ends. The `Dispatcher` decides what happens; this makes it so, the same way each time.
 */
export class TaskBook {
  readonly open: OpenTasks;
  readonly #options: TaskBookOptions;
  readonly #subscriptions: TaskSubscriptions;
  /** What callers of each streaming task have been sent, and from where it comes now. */
  readonly #callerText = new Map<TaskId, { source: string; stream: TaskStream }>();

  constructor(options: TaskBookOptions) {
    this.#options = options;
    this.open = new OpenTasks({ load: (id) => options.store.get(id), largeInputBytes: options.largeInputBytes });
    this.#subscriptions = new TaskSubscriptions(options.logger);
  }

  get queued(): number {
    return this.open.counts().queued;
  }

  subscribe(id: TaskId, listener: TaskListener): () => void {
    return this.#subscriptions.subscribe(id, listener);
  }

  /** Streamed text for the task's callers. */
  chunk(task: OpenTask, delta: string): void {
    this.#toCallers(task.record.id, 'here', delta);
    if (task.pinned === null) this.#options.events.emit('task:streamed', { record: task.record, delta });
  }

  /**
   * What another instance (`from`) told of a task it serves (scale-out): its callers here hear it as if it
   * ran here. Only a terminal event read back from the shared store ends their wait.
   */
  relay(id: TaskId, event: TaskEvent, from = 'elsewhere'): void {
    if (event.type === 'chunk') {
      this.#toCallers(id, from, event.delta);
      return;
    }
    this.#callerText.delete(id);
    this.#subscriptions.close(id, event);
  }

  /** Tasks someone here waits on. */
  awaitedIds(): TaskId[] {
    return this.#subscriptions.ids();
  }

  /** Whether anyone here waits on the task. */
  awaited(id: TaskId): boolean {
    return this.#subscriptions.has(id);
  }

  /** Applies one change of the state machine: persisted first, then adopted. False when it does not apply. */
  change(task: OpenTask, change: TaskChange): boolean {
    const next = applyTaskChange(task.record, change);
    if (next === undefined) return false;
    if (task.pinned === null && !this.#options.store.apply(next.id, change)) return false;
    this.open.adopt(task, next);
    return true;
  }

  /**
   * Stores a result and tells who keeps account of it (credit, reputation, metrics) inside the same
   * transaction: a failing listener rolls the result back, so credit is never lost or doubled.
   */
  succeed(task: OpenTask, worker: WorkerSession, result: TaskResult, check: TaskResultRecord['check']): void {
    const stored: TaskResultRecord = { output: result.output, usage: result.usage, timings: result.timings, nodeId: worker.nodeId, check };
    const change: TaskChange = { type: 'succeed', result: stored, at: this.#options.now() };
    if (task.pinned !== null) {
      if (!this.change(task, change)) return;
      this.open.remove(task);
      task.pinned({ ok: true, result, elapsedMs: change.at - task.record.createdAt });
      return;
    }
    const next = applyTaskChange(task.record, change);
    if (next === undefined) return;
    const { store, events } = this.#options;
    const committed = store.transaction(() => {
      if (!store.apply(next.id, change)) return false;
      events.emit('task:succeeded', { record: next, result: stored, worker, queued: this.queued });
      return true;
    });
    if (!committed) return;
    this.open.adopt(task, next);
    this.#close(task, { type: 'succeeded', record: task.record });
  }

  fail(task: OpenTask, error: WireError): void {
    const { record } = task;
    const holder = record.nodeId;
    if (!this.change(task, { type: 'fail', error, at: this.#options.now() })) return;
    if (holder !== null) this.#options.registry.get(holder)?.activeTasks.delete(record.id);
    if (task.pinned !== null) {
      this.open.remove(task);
      task.pinned({ ok: false, error });
      return;
    }
    this.#close(task, { type: 'failed', record, error });
    this.#options.events.emit('task:failed', { record, error, queued: this.queued });
  }

  /** Cancels an open task; false if it already ended. */
  cancel(task: OpenTask, reason: string): boolean {
    const holder = task.record.nodeId;
    if (!this.change(task, { type: 'cancel', at: this.#options.now() })) return false;
    this.release(task.record.id, holder, reason);
    this.#close(task, { type: 'cancelled', record: task.record });
    this.#options.events.emit('task:cancelled', { record: task.record, queued: this.queued });
    return true;
  }

  /** Takes an assigned task away from its tab, telling the tab to stop. */
  release(id: TaskId, holder: NodeId | null, reason: string): void {
    if (holder === null) return;
    const session = this.#options.registry.get(holder);
    if (session === undefined) return;
    session.activeTasks.delete(id);
    session.channel.send({ event: 'task:cancel', payload: { taskId: id, reason } });
  }

  /** An attempt ended without a result: never retried on that tab, and told to whoever keeps account. */
  attemptFailed(task: OpenTask, worker: WorkerSession | undefined, cause: WireError, byTab: boolean): void {
    const { record } = task;
    if (record.nodeId !== null) task.failedOn.add(record.nodeId);
    if (worker === undefined) return;
    worker.activeTasks.delete(record.id);
    if (task.pinned === null)
      this.#options.events.emit('task:attempt-failed', { record, workerKey: worker.key.publicKey, worker, cause, byTab });
  }

  /** The task if `session` holds it now and may send messages about it (it is not being counted or checked). */
  heldBy(session: WorkerSession, id: TaskId): OpenTask | undefined {
    const task = this.open.get(id);
    if (task === undefined || task.record.status !== 'assigned' || task.record.nodeId !== session.nodeId || task.verifying)
      return undefined;
    return task;
  }

  /** The tab is done; while the coordinator counts or guards check, no lease runs and the tab's messages are refused. */
  hold(task: OpenTask): void {
    task.verifying = true;
    this.change(task, { type: 'renew', leaseExpiresAt: null });
  }

  /** Whether a held task is still open and held (it may have been cancelled meanwhile); it is held no more. */
  resume(task: OpenTask): boolean {
    const held = task.verifying && this.open.get(task.record.id) === task && task.record.status === 'assigned';
    task.verifying = false;
    return held;
  }

  /** The task as callers may see it: open or stored; pinned tasks are nobody's business. */
  get(id: TaskId): TaskRecord | undefined {
    const task = this.open.get(id);
    if (task !== undefined) return task.pinned === null ? task.record : undefined;
    return this.#options.store.get(id);
  }

  /**
   * A queued task leaves this process without ending (scale-out: another instance may claim it); those
   * waiting on it keep waiting, for its events to arrive from wherever it runs.
   */
  forget(id: TaskId): void {
    this.open.forget(id);
  }

  /**
   * Streamed text reaches a task's callers through one filter per task: when the text starts coming from
   * somewhere else (the task was taken over by another instance, or came back here), the new source's text
   * starts from the beginning, and only what goes beyond what callers already have is forwarded.
   */
  #toCallers(id: TaskId, source: string, delta: string): void {
    if (!this.#subscriptions.has(id)) {
      this.#callerText.delete(id);
      return;
    }
    let text = this.#callerText.get(id);
    if (text === undefined) {
      text = { source, stream: new TaskStream() };
      this.#callerText.set(id, text);
    } else if (text.source !== source) {
      text.source = source;
      text.stream.restartAttempt();
    }
    const forward = text.stream.append(delta, false);
    if (forward !== '') this.#subscriptions.emit(id, { type: 'chunk', delta: forward });
  }

  #close(task: OpenTask, event: TaskEvent): void {
    this.#callerText.delete(task.record.id);
    this.open.remove(task);
    this.#subscriptions.close(task.record.id, event);
  }
}
