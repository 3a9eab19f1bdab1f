import type { ModelCatalogEntry, NodeId, TaskHandoff, Tier } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import { handoffRefusal } from '../placement/eligibility.ts';
import { placementCandidate } from '../placement/placement-candidate.ts';
import { OK, refusal, type WorkerMessageOutcome } from '../workers/worker-message-outcome.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { HandoffsElsewhere } from './handoffs-elsewhere.ts';
import type { OpenTask } from './open-task.ts';
import type { TaskBook } from './task-book.ts';

export interface TaskHandoffsOptions {
  book: TaskBook;
  registry: WorkerRegistry;
  peers?: { introduced(a: NodeId, b: NodeId): boolean };
  /** Tabs on other instances (scale-out: `ClusterHandoffs`). */
  handoffsElsewhere?: HandoffsElsewhere;
  leaseMs: number;
  logger: FastifyBaseLogger;
  events: CoordinatorEventBus;
  now: () => number;
  tier: (session: WorkerSession) => Tier;
  model: (id: string) => ModelCatalogEntry;
  /** Gives the moved attempt to the peer (`Dispatcher`). */
  deliver: (task: OpenTask, session: WorkerSession) => void;
  /** The holder left while its hand-off elsewhere was refused: the task goes back as any left tab's does. */
  retryOrFail: (task: OpenTask, session: WorkerSession) => void;
}

/**
 * `task:handoff`: the holder gives the task to a peer it was introduced to, which must be allowed to take
 * it (`mayWork`) and must not have failed it. The lease moves in one conditional write (same attempt: a
 * hand-off is not a failure), the peer gets `task:assign` and the sender `task:cancel`; from then on only
 * the peer's messages about the task count. A refusal changes nothing. A peer on another instance is
 * asked there first (`HandoffsElsewhere`); a holder that leaves while the answer is on its way (a closing
 * tab offers what it holds, then goes) leaves the task to that answer rather than to the queue.
 */
export class TaskHandoffs {
  readonly #options: TaskHandoffsOptions;

  constructor(options: TaskHandoffsOptions) {
    this.#options = options;
  }

  handoff(session: WorkerSession, handoff: TaskHandoff): WorkerMessageOutcome | Promise<WorkerMessageOutcome> {
    const { book, registry } = this.#options;
    const task = book.heldBy(session, handoff.taskId);
    if (task === undefined) return refusal('not_assigned', `Task ${handoff.taskId} is not assigned to this tab.`);
    const { record } = task;
    const declined = (why: string): WorkerMessageOutcome => refusal('handoff_refused', `Task ${record.id} stays with this tab: ${why}.`);
    const target = registry.get(handoff.to);
    const elsewhere = target === undefined ? this.#options.handoffsElsewhere : undefined;
    const why = handoffRefusal({
      pinned: task.pinned !== null,
      introduced: this.#options.peers?.introduced(session.nodeId, handoff.to) ?? false,
      to: handoff.to,
      target: target === undefined ? undefined : placementCandidate(target, this.#options.tier(target)),
      targetElsewhere: elsewhere !== undefined,
      failedOn: task.failedOn,
      model: this.#options.model(record.spec.model),
      minTier: record.minTier,
    });
    if (why !== undefined) return declined(why);
    if (target !== undefined) {
      if (!this.#moveAway(task, session, target.nodeId)) return declined('it moved on meanwhile');
      this.#options.deliver(task, target);
      return OK;
    }
    if (elsewhere === undefined) return declined(`tab ${handoff.to} is not connected`);
    if (task.handingOff) return declined('it is being handed off already');
    task.handingOff = true;
    return elsewhere.ask(record, session.nodeId, handoff.to).then((refused) => {
      task.handingOff = false;
      const held = book.heldBy(session, record.id) === task;
      if (refused !== null || !held || !this.#moveAway(task, session, handoff.to)) {
        if (held && registry.get(session.nodeId) !== session) this.#options.retryOrFail(task, session);
        return declined(refused ?? 'it moved on meanwhile');
      }
      book.open.remove(task);
      elsewhere.moved(task.record, handoff.to, task.directTo);
      return OK;
    });
  }

  /** The lease moves in one conditional write (same attempt: a hand-off is not a failure); the sender is told. */
  #moveAway(task: OpenTask, session: WorkerSession, to: NodeId): boolean {
    const { record } = task;
    const leaseExpiresAt = this.#options.now() + this.#options.leaseMs;
    if (!this.#options.book.change(task, { type: 'move', from: session.nodeId, to, leaseExpiresAt })) return false;
    session.activeTasks.delete(record.id);
    session.channel.send({ event: 'task:cancel', payload: { taskId: record.id, reason: `handed off to ${to}` } });
    this.#options.logger.info({ taskId: record.id, from: session.nodeId, to }, 'task handed off');
    this.#options.events.emit('task:handed-off', { record, from: session, to });
    return true;
  }
}
