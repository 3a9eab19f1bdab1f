import { recordCheck } from '@tessera/shared';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import { decodeSpeed } from './decode-speed.ts';
import { movingAverage, type ReputationBook } from './reputation-book.ts';

/**
 * The one writer of reputation: per key in the `ReputationBook` (durable), and the live counters of the
 * connection (`WorkerSession`) the network page shows. It listens to what happened; nothing else
 * changes a tab's record.
 *
 * - a delivered result: one more task completed, latency and decode speed averaged in;
 * - an attempt that ended without a result: one more failure (and on the connection when the tab's
 *   own message ended it: an error, a wrong or caught result);
 * - a guard's verdict on a result: a valid or invalid check (this drives tiers and check rates);
 * - a guard overruled or contradicting its own evidence: an invalid check against the guard;
 * - a guard's answer to a planted check: a valid or invalid check of the guard;
 * - a tab leaving: its connected time added to its uptime.
 */
export function keepReputation(events: CoordinatorEventBus, book: ReputationBook): void {
  events.on('task:succeeded', ({ result, worker }) => {
    worker.completedTasks++;
    const { usage, timings } = result;
    // An empty answer says nothing of speed; it is not averaged in.
    const speed = usage.completionTokens > 0 ? decodeSpeed(result) : null;
    if (speed !== null) worker.tokensPerSecond = movingAverage(worker.tokensPerSecond, speed);
    book.update(worker.key.publicKey, (stats) => ({
      ...stats,
      tasksCompleted: stats.tasksCompleted + 1,
      latencyMs: movingAverage(stats.latencyMs, timings.totalMs),
      tokensPerSecond: speed === null ? stats.tokensPerSecond : movingAverage(stats.tokensPerSecond, speed),
    }));
  });
  events.on('task:attempt-failed', ({ workerKey, worker, byTab }) => {
    if (byTab && worker !== undefined) worker.failedTasks++;
    book.update(workerKey, (stats) => ({ ...stats, tasksFailed: stats.tasksFailed + 1 }));
  });
  events.on('verify:checked', ({ workerKey, verdict }) => {
    book.update(workerKey, (stats) => recordCheck(stats, verdict));
  });
  // A planted check is to a guard what a guard's check is to a worker.
  events.on('guard:tested', ({ guardKey, passed }) => {
    book.update(guardKey, (stats) => recordCheck(stats, passed ? 'valid' : 'invalid'));
  });
  events.on('guard:penalized', ({ guardKey }) => {
    book.update(guardKey, (stats) => recordCheck(stats, 'invalid'));
  });
  events.on('worker:gone', ({ worker, connectedSeconds }) => {
    book.update(worker.key.publicKey, (stats) => ({ ...stats, uptimeSeconds: stats.uptimeSeconds + connectedSeconds }));
  });
}
