import type { NodeId, WireError } from '@tessera/shared';
import type { TaskRecord, TaskResultRecord } from './task-record.ts';

/**
 * Every way a task's state can change. `renew` keeps a running task's lease alive (progress, `task:accept`),
 * or lifts it (null) while guards check the result; `move` is a hand-off: the same attempt, another tab.
 */
export type TaskChange =
  | { type: 'assign'; nodeId: NodeId; leaseExpiresAt: number }
  | { type: 'renew'; leaseExpiresAt: number | null }
  | { type: 'move'; from: NodeId; to: NodeId; leaseExpiresAt: number }
  | { type: 'requeue' }
  | { type: 'succeed'; result: TaskResultRecord; at: number }
  | { type: 'fail'; error: WireError; at: number }
  | { type: 'cancel'; at: number };

export type TaskChangeType = TaskChange['type'];

/**
 * The task state machine, the one place that decides whether a task may move from one state to another:
 *
 * ```
 *            assign                succeed
 *  queued ───────────▶ assigned ───────────▶ succeeded
 *    ▲  │               │  ▲ renew, move
 *    │  │               │  └──┘
 *    │  │ fail, cancel  │ fail, cancel
 *    │  ▼               ▼
 *    │  failed, cancelled
 *    └──── requeue ─── assigned
 * ```
 *
 * Returns the record after the change, or undefined when the change does not apply to the task's state
 * (a late message about a finished task, a move from a tab that no longer holds it). Pure: the caller
 * persists the change and only then adopts the new record.
 */
export function applyTaskChange(record: TaskRecord, change: TaskChange): TaskRecord | undefined {
  switch (change.type) {
    case 'assign':
      if (record.status !== 'queued') return undefined;
      return { ...record, status: 'assigned', nodeId: change.nodeId, attempts: record.attempts + 1, leaseExpiresAt: change.leaseExpiresAt };
    case 'renew':
      if (record.status !== 'assigned') return undefined;
      return { ...record, leaseExpiresAt: change.leaseExpiresAt };
    case 'move':
      if (record.status !== 'assigned' || record.nodeId !== change.from) return undefined;
      return { ...record, nodeId: change.to, leaseExpiresAt: change.leaseExpiresAt };
    case 'requeue':
      if (record.status !== 'assigned') return undefined;
      return { ...record, status: 'queued', nodeId: null, leaseExpiresAt: null };
    case 'succeed':
      if (record.status !== 'assigned') return undefined;
      return { ...record, status: 'succeeded', result: change.result, finishedAt: change.at, leaseExpiresAt: null };
    case 'fail':
      if (record.status !== 'queued' && record.status !== 'assigned') return undefined;
      return { ...record, status: 'failed', error: change.error, finishedAt: change.at, leaseExpiresAt: null };
    case 'cancel':
      if (record.status !== 'queued' && record.status !== 'assigned') return undefined;
      return { ...record, status: 'cancelled', finishedAt: change.at, leaseExpiresAt: null };
  }
}
