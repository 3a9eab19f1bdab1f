import { newTaskId } from '@tessera/shared';
import type { NodeId, TaskResult, TaskSpec, WireError } from '@tessera/shared';
import type { CheckDecision } from '../verification/check-outcome.ts';
import type { TaskApi, TaskRecord } from './task-record.ts';
import { TaskStream } from './task-stream.ts';

/** How a pinned task (a known-answer check) ended. */
export type PinnedOutcome = { ok: true; result: TaskResult; elapsedMs: number } | { ok: false; error: WireError };

/** A task the dispatcher is working on: its record and what only lives while it is open. */
export interface OpenTask {
  record: TaskRecord;
  stream: TaskStream;
  /** Tabs that already failed this task; a retry goes elsewhere. */
  failedOn: Set<NodeId>;
  check: CheckDecision;
  /** The result is being counted or checked: the tab's later messages about it are refused. */
  verifying: boolean;
  /** Another instance is being asked whether its tab takes this task: if the tab here leaves meanwhile, the answer decides. */
  handingOff: boolean;
  /** When the current attempt reached its tab, by the coordinator's clock: timings are measured here. */
  attemptStartedAt: number;
  /** When its first streamed text arrived, if any did. */
  firstChunkAt: number | null;
  /** The requesting tab's connection, for a direct stream; memory only, it dies with the connection. */
  directTo: NodeId | null;
  /**
   * A known-answer check: runs on one given tab only, one attempt, in memory only; never queued, checked,
   * credited or metered. The tab cannot tell it from any other task.
   */
  pinned: ((outcome: PinnedOutcome) => void) | null;
  /** Who submitted it (an address; '' when unknown, e.g. recovered after a restart), for memory accounting. */
  client: string;
  /** What its input weighs in memory, roughly: the bytes of its spec as JSON. */
  bytes: number;
}

export function openTask(
  record: TaskRecord,
  directTo: NodeId | null,
  pinned: OpenTask['pinned'],
  client = '',
  bytes = specBytes(record.spec),
): OpenTask {
  return {
    client,
    bytes,
    record,
    stream: new TaskStream(),
    failedOn: new Set(),
    check: 'skip',
    verifying: false,
    handingOff: false,
    attemptStartedAt: 0,
    firstChunkAt: null,
    directTo,
    pinned,
  };
}

/** A fresh queued record; `waitMs` is how long it may stay queued before it fails with `no_capacity`. */
export function newTaskRecord(task: {
  api: TaskApi;
  spec: TaskSpec;
  priority: number;
  maxAttempts: number;
  now: number;
  waitMs: number;
  minTier?: TaskRecord['minTier'];
  cancelTokenHash?: string | null;
}): TaskRecord {
  return {
    id: newTaskId(),
    api: task.api,
    spec: task.spec,
    status: 'queued',
    priority: task.priority,
    attempts: 0,
    maxAttempts: task.maxAttempts,
    nodeId: null,
    leaseExpiresAt: null,
    createdAt: task.now,
    deadlineAt: task.now + task.waitMs,
    minTier: task.minTier ?? null,
    cancelTokenHash: task.cancelTokenHash ?? null,
    finishedAt: null,
    result: null,
    error: null,
  };
}

/** The bytes of a task's input as JSON: what holding it open costs, near enough. */
export function specBytes(spec: TaskSpec): number {
  return Buffer.byteLength(JSON.stringify(spec));
}
