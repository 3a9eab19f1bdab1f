import { nodeIdSchema, taskIdSchema, taskOutputSchema, taskSpecSchema, taskStatusSchema, taskTimingsSchema, taskUsageSchema, wireErrorSchema } from '@tessera/shared';
import type { NodeId, TaskId, TaskStatus, WireError } from '@tessera/shared';
import { z } from 'zod';
import type { SqliteDatabase } from '../db/open-database.ts';
import type { TaskApi, TaskRecord, TaskResultRecord } from './task-record.ts';

const resultRecordSchema = z.object({
  output: taskOutputSchema,
  usage: taskUsageSchema,
  timings: taskTimingsSchema,
  nodeId: nodeIdSchema,
  check: z.enum(['passed', 'unchecked', 'unverified']),
});

const taskRowSchema = z.object({
  id: taskIdSchema,
  api: z.enum(['chat.completion', 'embedding']),
  spec: z.string(),
  status: taskStatusSchema,
  priority: z.number(),
  attempts: z.number(),
  max_attempts: z.number(),
  node_id: nodeIdSchema.nullable(),
  lease_expires_at: z.number().nullable(),
  created_at: z.number(),
  deadline_at: z.number(),
  finished_at: z.number().nullable(),
  result: z.string().nullable(),
  error: z.string().nullable(),
});

function rowToRecord(row: unknown): TaskRecord {
  const parsed = taskRowSchema.parse(row);
  return {
    id: parsed.id,
    api: parsed.api,
    spec: taskSpecSchema.parse(JSON.parse(parsed.spec)),
    status: parsed.status,
    priority: parsed.priority,
    attempts: parsed.attempts,
    maxAttempts: parsed.max_attempts,
    nodeId: parsed.node_id,
    leaseExpiresAt: parsed.lease_expires_at,
    createdAt: parsed.created_at,
    deadlineAt: parsed.deadline_at,
    finishedAt: parsed.finished_at,
    result: parsed.result === null ? null : resultRecordSchema.parse(JSON.parse(parsed.result)),
    error: parsed.error === null ? null : wireErrorSchema.parse(JSON.parse(parsed.error)),
  };
}

export interface StatusCounts {
  queued: number;
  assigned: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/**
 * The durable side of the queue: every state change of a task is written here before anyone is told
 * about it, so a coordinator restart loses no accepted task and no finished result.
 */
export class TaskStore {
  readonly #insert;
  readonly #assign;
  readonly #requeue;
  readonly #move;
  readonly #succeed;
  readonly #fail;
  readonly #cancel;
  readonly #get;
  readonly #open;
  readonly #reopenAssigned;
  readonly #counts;
  readonly #ping;

  constructor(private readonly db: SqliteDatabase) {
    this.#insert = db.prepare(
      `INSERT INTO tasks (id, kind, model, api, spec, status, priority, attempts, max_attempts, created_at, deadline_at)
       VALUES (@id, @kind, @model, @api, @spec, 'queued', @priority, 0, @maxAttempts, @createdAt, @deadlineAt)`,
    );
    this.#assign = db.prepare(
      `UPDATE tasks SET status = 'assigned', node_id = ?, attempts = ?, lease_expires_at = ? WHERE id = ? AND status = 'queued'`,
    );
    this.#requeue = db.prepare(
      `UPDATE tasks SET status = 'queued', node_id = NULL, lease_expires_at = NULL WHERE id = ? AND status = 'assigned'`,
    );
    this.#move = db.prepare(
      `UPDATE tasks SET node_id = ?, lease_expires_at = ? WHERE id = ? AND status = 'assigned' AND node_id = ?`,
    );
    this.#succeed = db.prepare(
      `UPDATE tasks SET status = 'succeeded', result = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status = 'assigned'`,
    );
    this.#fail = db.prepare(
      `UPDATE tasks SET status = 'failed', error = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status IN ('queued', 'assigned')`,
    );
    this.#cancel = db.prepare(
      `UPDATE tasks SET status = 'cancelled', finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status IN ('queued', 'assigned')`,
    );
    this.#get = db.prepare(`SELECT * FROM tasks WHERE id = ?`);
    this.#open = db.prepare(`SELECT * FROM tasks WHERE status IN ('queued', 'assigned') ORDER BY priority, created_at`);
    this.#reopenAssigned = db.prepare(
      `UPDATE tasks SET status = 'queued', node_id = NULL, lease_expires_at = NULL WHERE status = 'assigned'`,
    );
    this.#counts = db.prepare(`SELECT status, COUNT(*) AS n FROM tasks GROUP BY status`);
    this.#ping = db.prepare(`SELECT 1`);
  }

  insert(record: { id: TaskId; api: TaskApi; spec: TaskRecord['spec']; priority: number; maxAttempts: number; createdAt: number; deadlineAt: number }): void {
    this.#insert.run({
      id: record.id,
      kind: record.spec.kind,
      model: record.spec.model,
      api: record.api,
      spec: JSON.stringify(record.spec),
      priority: record.priority,
      maxAttempts: record.maxAttempts,
      createdAt: record.createdAt,
      deadlineAt: record.deadlineAt,
    });
  }

  /** Each transition names the state it leaves, so a stale caller cannot resurrect a finished task. */
  markAssigned(id: TaskId, nodeId: NodeId, attempts: number, leaseExpiresAt: number): boolean {
    return this.#assign.run(nodeId, attempts, leaseExpiresAt, id).changes === 1;
  }

  markRequeued(id: TaskId): boolean {
    return this.#requeue.run(id).changes === 1;
  }

  /** A hand-off: the task stays assigned, on the same attempt, but to another tab. */
  markMoved(id: TaskId, from: NodeId, to: NodeId, leaseExpiresAt: number): boolean {
    return this.#move.run(to, leaseExpiresAt, id, from).changes === 1;
  }

  markSucceeded(id: TaskId, result: TaskResultRecord, finishedAt: number): boolean {
    return this.#succeed.run(JSON.stringify(result), finishedAt, id).changes === 1;
  }

  markFailed(id: TaskId, error: WireError, finishedAt: number): boolean {
    return this.#fail.run(JSON.stringify(error), finishedAt, id).changes === 1;
  }

  markCancelled(id: TaskId, finishedAt: number): boolean {
    return this.#cancel.run(finishedAt, id).changes === 1;
  }

  get(id: TaskId): TaskRecord | undefined {
    const row: unknown = this.#get.get(id);
    return row === undefined ? undefined : rowToRecord(row);
  }

  /**
   * On start-up: tasks a previous process had handed to tabs are queued again (those tabs' sockets died
   * with it), and every open task is returned in queue order.
   */
  recoverOpenTasks(): TaskRecord[] {
    this.#reopenAssigned.run();
    return this.#open.all().map(rowToRecord);
  }

  counts(): StatusCounts {
    const counts: StatusCounts = { queued: 0, assigned: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const row of this.#counts.all()) {
      const parsed = z.object({ status: taskStatusSchema, n: z.number() }).parse(row);
      counts[parsed.status satisfies TaskStatus] = parsed.n;
    }
    return counts;
  }

  /** Throws if the database does not answer; cheap, for health checks. */
  ping(): void {
    this.#ping.get();
  }

  /** Runs `work` in one transaction, used to batch many writes (one fsync-free commit instead of many). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }
}
