import type { TaskId, TaskStatus } from '@tessera/shared';
import type { TaskApi, TaskRecord } from './task-record.ts';
import type { TaskChange } from './task-transitions.ts';

export type StatusCounts = Record<TaskStatus, number>;

export interface NewTask {
  id: TaskId;
  api: TaskApi;
  spec: TaskRecord['spec'];
  priority: number;
  maxAttempts: number;
  createdAt: number;
  deadlineAt: number;
  minTier: TaskRecord['minTier'];
  cancelTokenHash: string | null;
}

/**
 * The durable side of the queue: every state change of a task is written here before anyone is told
 * about it, so a restart loses no accepted task and no finished result. `SqlTaskStore` keeps it in SQLite
 * or PostgreSQL; any database that can make a conditional update can implement it.
 */
export interface TaskStore {
  insert(task: NewTask): void;
  /**
   * Persists one change of the state machine (`applyTaskChange`). The write is conditional on the state
   * the change leaves, so a stale caller cannot resurrect a finished task: false when it did not apply.
   */
  apply(id: TaskId, change: TaskChange): boolean;
  get(id: TaskId): TaskRecord | undefined;
  /**
   * On start-up: tasks a previous process had handed to tabs are queued again (those tabs' sockets died
   * with it), and every open task is returned in queue order.
   */
  recoverOpenTasks(): TaskRecord[];
  counts(): StatusCounts;
  /** Throws if the database does not answer; cheap, for health checks. */
  ping(): void;
  /** Runs `work` atomically: a result and the credit for it are committed together or not at all. */
  transaction<T>(work: () => T): T;
}
