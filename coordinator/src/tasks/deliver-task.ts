import type { NodeId, TaskAssign } from '@tessera/shared';
import type { ResultChecker } from '../verification/check-outcome.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { OpenTask } from './open-task.ts';

export interface DeliveryOptions {
  leaseMs: number;
  checker?: ResultChecker;
  /** Peer introductions: a worker and the tab its text streams to directly. */
  peers?: { introduce(a: NodeId, b: NodeId): void; mayReach(nodeId: NodeId): boolean };
  now: () => number;
}

/**
 * Gives an attempt (new, moved by a hand-off, or handed over from another instance) to a tab: whether it
 * is checked, the tab's memory of it, the introduction to a requester that asked for the text directly,
 * then `task:assign`.
 */
export function deliverTask(task: OpenTask, session: WorkerSession, options: DeliveryOptions): void {
  const { record } = task;
  const now = options.now();
  task.stream.restartAttempt();
  task.attemptStartedAt = now;
  task.firstChunkAt = null;
  task.check = task.pinned === null ? (options.checker?.sampleCheck(session, record.spec, record.minTier) ?? 'skip') : 'skip';
  task.verifying = false;
  session.activeTasks.add(record.id);
  if (task.pinned === null) session.lastAssignedAt = now;
  const payload: TaskAssign = { taskId: record.id, leaseMs: options.leaseMs, attempt: record.attempts, task: record.spec };
  // Only while the requesting tab may still be reached; otherwise the text comes to the coordinator as usual
  // (and the worker falls back to that by itself when the link cannot be made).
  if (task.directTo !== null && task.directTo !== session.nodeId && options.peers?.mayReach(task.directTo) === true) {
    options.peers.introduce(session.nodeId, task.directTo);
    payload.directStream = { to: task.directTo };
  }
  session.channel.send({ event: 'task:assign', payload });
}
