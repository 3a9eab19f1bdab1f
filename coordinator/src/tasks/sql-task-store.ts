import {
  nodeIdSchema,
  taskIdSchema,
  taskOutputSchema,
  taskSpecSchema,
  taskStatusSchema,
  taskTimingsSchema,
  taskUsageSchema,
  wireErrorSchema,
} from '@tessera/shared';
import type { TaskId, TaskStatus } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { TaskRecord } from './task-record.ts';
import type { NewTask, StatusCounts, TaskStore } from './task-store.ts';
import type { TaskChange } from './task-transitions.ts';

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
  min_tier: z.enum(['trusted', 'veteran']).nullable(),
  cancel_token_hash: z.string().nullable(),
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
    minTier: parsed.min_tier,
    cancelTokenHash: parsed.cancel_token_hash,
    finishedAt: parsed.finished_at,
    result: parsed.result === null ? null : resultRecordSchema.parse(JSON.parse(parsed.result)),
    error: parsed.error === null ? null : wireErrorSchema.parse(JSON.parse(parsed.error)),
  };
}

const countRowSchema = z.object({ status: taskStatusSchema, n: z.number() });

const INSERT = `INSERT INTO tasks (id, kind, model, api, spec, status, priority, attempts, max_attempts, created_at, deadline_at, min_tier, cancel_token_hash, owner)
  VALUES (?, ?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?, ?, ?, ?)`;
// Every change is conditional on the state it leaves: a stale caller, or another coordinator on the same
// database, finds 0 rows changed and learns the change did not apply.
const ASSIGN = `UPDATE tasks SET status = 'assigned', node_id = ?, attempts = attempts + 1, lease_expires_at = ? WHERE id = ? AND status = 'queued'`;
const REQUEUE = `UPDATE tasks SET status = 'queued', node_id = NULL, lease_expires_at = NULL WHERE id = ? AND status = 'assigned'`;
const MOVE = `UPDATE tasks SET node_id = ?, lease_expires_at = ? WHERE id = ? AND status = 'assigned' AND node_id = ?`;
// A result is stored only from the tab that holds the attempt: an instance taken for dead that comes back
// cannot store its tab's result over the attempt another instance started since.
const SUCCEED = `UPDATE tasks SET status = 'succeeded', result = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status = 'assigned' AND node_id = ?`;
const FAIL = `UPDATE tasks SET status = 'failed', error = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status IN ('queued', 'assigned')`;
const CANCEL = `UPDATE tasks SET status = 'cancelled', finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status IN ('queued', 'assigned')`;
const OPEN = `SELECT * FROM tasks WHERE status IN ('queued', 'assigned') ORDER BY priority, created_at`;
const REOPEN_ASSIGNED = `UPDATE tasks SET status = 'queued', node_id = NULL, lease_expires_at = NULL WHERE status = 'assigned'`;

/**
 * `TaskStore` on SQL (`SqlDatabase`: the SQLite file, or PostgreSQL): synchronous, one conditional UPDATE
 * per change, the same statements on both.
 */
export class SqlTaskStore implements TaskStore {
  /**
   * `owner`: the instance id stamped on the tasks this process accepts, when several instances share the
   * database (src/scale-out/); null alone, where this process owns every task.
   */
  constructor(
    private readonly db: SqlDatabase,
    private readonly owner: string | null = null,
  ) {}

  insert(record: NewTask): void {
    this.db.run(INSERT, [
      record.id,
      record.spec.kind,
      record.spec.model,
      record.api,
      JSON.stringify(record.spec),
      record.priority,
      record.maxAttempts,
      record.createdAt,
      record.deadlineAt,
      record.minTier,
      record.cancelTokenHash,
      this.owner,
    ]);
  }

  apply(id: TaskId, change: TaskChange): boolean {
    switch (change.type) {
      case 'assign':
        return this.db.run(ASSIGN, [change.nodeId, change.leaseExpiresAt, id]).changes === 1;
      case 'renew':
        // Leases live in memory: after a restart every assigned task is queued again anyway.
        return true;
      case 'move':
        return this.db.run(MOVE, [change.to, change.leaseExpiresAt, id, change.from]).changes === 1;
      case 'requeue':
        return this.db.run(REQUEUE, [id]).changes === 1;
      case 'succeed':
        return this.db.run(SUCCEED, [JSON.stringify(change.result), change.at, id, change.result.nodeId]).changes === 1;
      case 'fail':
        return this.db.run(FAIL, [JSON.stringify(change.error), change.at, id]).changes === 1;
      case 'cancel':
        return this.db.run(CANCEL, [change.at, id]).changes === 1;
    }
  }

  get(id: TaskId): TaskRecord | undefined {
    const row = this.db.get('SELECT * FROM tasks WHERE id = ?', [id]);
    return row === undefined ? undefined : rowToRecord(row);
  }

  recoverOpenTasks(): TaskRecord[] {
    this.db.run(REOPEN_ASSIGNED);
    return this.db.all(OPEN).map(rowToRecord);
  }

  counts(): StatusCounts {
    const counts: StatusCounts = { queued: 0, assigned: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const row of this.db.all('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status')) {
      const parsed = countRowSchema.parse(row);
      counts[parsed.status satisfies TaskStatus] = parsed.n;
    }
    return counts;
  }

  ping(): void {
    this.db.get('SELECT 1 AS ok');
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work);
  }
}
