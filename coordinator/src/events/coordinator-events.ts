import type { NodeId, WireError } from '@tessera/shared';
import type { TaskRecord, TaskResultRecord } from '../tasks/task-record.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import { EventBus } from './event-bus.ts';

/**
 * What happened in the coordinator, for the parts that keep account of it: reputation, rewards, metrics.
 * Emitted synchronously by the part that owns the change, after it is decided; `task:succeeded` is
 * emitted inside the transaction that stores the result, so credit for it commits with it or not at all.
 * `queued` is the number of queued tasks after the change.
 */
export interface CoordinatorEvents {
  'task:submitted': { record: TaskRecord; queued: number };
  'task:assigned': { record: TaskRecord; worker: WorkerSession; waitedMs: number; queued: number };
  /** `to`: the tab that took it, here or on another instance. */
  'task:handed-off': { record: TaskRecord; from: WorkerSession; to: NodeId };
  /** An attempt ended without a result; `byTab`: the tab's own message ended it (error, wrong or caught result). */
  'task:attempt-failed': { record: TaskRecord; workerKey: string; worker: WorkerSession | undefined; cause: WireError; byTab: boolean };
  'task:requeued': { record: TaskRecord; cause: WireError };
  /** Text of a task's stream reached its callers here (after any hold-back for a check). */
  'task:streamed': { record: TaskRecord; delta: string };
  'task:succeeded': { record: TaskRecord; result: TaskResultRecord; worker: WorkerSession; queued: number };
  'task:failed': { record: TaskRecord; error: WireError; queued: number };
  'task:cancelled': { record: TaskRecord; queued: number };
  /** A guard's check of a worker's result ended with a verdict (not `unverified`). */
  'verify:checked': { workerKey: string; verdict: 'valid' | 'invalid'; reason: string };
  /** A guard completed a check (its verdict agreed with its evidence): `units` re-scored, paid whether the check was planted or real. */
  'guard:checked': { guardKey: string; jobId: string; model: string; units: number };
  /** A guard answered a planted check (`PlantedChecks`): `passed` when its verdict was the one the coordinator knew. */
  'guard:tested': { guardKey: string; passed: boolean; reason: string };
  /** A guard's verdict was overruled or contradicted its own evidence. */
  'guard:penalized': { guardKey: string; why: string };
  /** A tab passed admission and was welcomed. */
  'worker:joined': { worker: WorkerSession };
  'worker:gone': { worker: WorkerSession; connectedSeconds: number };
}

export class CoordinatorEventBus extends EventBus<CoordinatorEvents> {}
