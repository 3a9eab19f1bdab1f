import { findModel, wireError } from '@tessera/shared';
import type { ModelCatalogEntry, TaskId, Tier } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ClusterChannel } from '../cluster/cluster-channel.ts';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { Startable } from '../lifecycle/startable.ts';
import { meetsTier, workRefusal } from '../placement/eligibility.ts';
import { placementCandidate } from '../placement/placement-candidate.ts';
import type { Dispatcher } from '../tasks/dispatcher.ts';
import { specBytes } from '../tasks/open-task.ts';
import type { TaskBook } from '../tasks/task-book.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { TaskStore } from '../tasks/task-store.ts';
import { terminalEventOf } from '../tasks/wait-for-task.ts';
import { applyTaskChange, type TaskChange } from '../tasks/task-transitions.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { InstanceDirectory } from './instance-directory.ts';
import type { AdvisoryLockLeadership } from './leadership.ts';
import type { SharedQueue } from './shared-queue.ts';

const MAX_CHUNK_CHARS = 4096;
/** Silence after which an instance is dead (its tasks are taken over, its admitted tabs hold no places). */
export const INSTANCE_DEAD_AFTER_MS = 5000;

export interface ScaleOutOptions {
  instanceId: string;
  store: TaskStore;
  queue: SharedQueue;
  instances: InstanceDirectory;
  leadership: AdvisoryLockLeadership;
  channel: ClusterChannel;
  book: TaskBook;
  dispatcher: Pick<Dispatcher, 'workerAvailable' | 'cancel'>;
  registry: WorkerRegistry;
  catalog: readonly ModelCatalogEntry[];
  events: CoordinatorEventBus;
  tierOf: (session: WorkerSession) => Tier;
  logger: FastifyBaseLogger;
  /** How often an instance says it lives, and looks for work for its idle tabs. */
  heartbeatMs?: number;
  /** Silence after which an instance is dead and its tasks are taken over. */
  deadAfterMs?: number;
  now?: () => number;
}

/**
 * Several coordinator instances serving one network (PostgreSQL + Redis). Each instance holds in memory
 * only the tasks its own tabs run and the queued tasks it is placing right now; every other queued task
 * waits in the shared queue (`SharedQueue`), where any instance with a free tab for it claims it. The
 * instance a caller is connected to hears the task's stream and end over the cluster channel, and reads
 * the result from the shared store. One leader (`AdvisoryLockLeadership`) takes over the tasks of
 * instances that died and ends unowned tasks whose deadline passed; credit stays exactly-once because a
 * result is stored by a conditional write on the attempt that earned it.
 */
export class ScaleOut implements Startable {
  readonly #options: ScaleOutOptions;
  readonly #now: () => number;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #chunkSeq = new Map<TaskId, number>();
  /** Open tasks the store says are this instance's but it does not hold, as of the last beat. */
  #orphans = new Set<TaskId>();
  #timer: NodeJS.Timeout | undefined;
  #settling = false;

  constructor(options: ScaleOutOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    const { events, channel } = this.#options;
    const settle = (): void => this.#settleSoon();
    this.#unsubscribe.push(
      events.on('task:submitted', settle),
      events.on('task:requeued', settle),
      events.on('task:attempt-failed', settle),
      events.on('worker:joined', settle),
      events.on('task:succeeded', ({ record }) => this.#ended(record.id, 'succeeded')),
      events.on('task:failed', ({ record, error }) => this.#ended(record.id, 'failed', error)),
      events.on('task:cancelled', ({ record }) => this.#ended(record.id, 'cancelled')),
      events.on('task:streamed', ({ record, delta }) => this.#streamed(record.id, delta)),
      channel.listen((message, from) => {
        switch (message.event) {
          case 'task:chunk':
            this.#options.book.relay(message.payload.taskId, { type: 'chunk', delta: message.payload.delta }, from);
            return;
          case 'task:ended':
            this.#relayEnd(message.payload.taskId);
            return;
          case 'task:queued':
            this.#settleSoon();
            return;
          case 'task:cancel':
            this.#options.dispatcher.cancel(message.payload.taskId, message.payload.reason);
            return;
        }
      }),
    );
    this.#beat();
    this.#timer = setInterval(() => this.#beat(), this.#options.heartbeatMs ?? 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    // Queued tasks go back to the network at once; what tabs here still run is taken over by the leader.
    this.#giveBack();
    this.#options.leadership.resign();
    this.#options.instances.forget(this.#options.instanceId);
  }

  /** Whether this instance runs the once-per-network jobs now. */
  isLeader(): boolean {
    return this.#options.leadership.isLeader();
  }

  /**
   * Cancels a task this instance does not hold: in the shared queue it is cancelled here; running on
   * another instance, that instance is asked to. Undefined when it is not open.
   */
  cancelElsewhere(id: TaskId, reason: string): TaskRecord | undefined {
    const { queue, instanceId, channel } = this.#options;
    const owner = queue.ownerOf(id);
    if (owner === undefined) return undefined;
    if (owner !== null) {
      void channel.publish({ event: 'task:cancel', payload: { taskId: id, reason } });
      return this.#options.store.get(id);
    }
    if (!queue.takeOver(id, instanceId)) return undefined;
    const cancelled = this.#change(id, { type: 'cancel', at: this.#now() });
    if (cancelled !== undefined) this.#ended(id, 'cancelled');
    return cancelled;
  }

  /** Runs once the current turn is over, after the dispatcher placed what it could here. */
  #settleSoon(): void {
    if (this.#settling) return;
    this.#settling = true;
    queueMicrotask(() => {
      this.#settling = false;
      this.#claimForIdleTabs();
      this.#giveBack();
    });
  }

  #beat(): void {
    const { instances, instanceId, leadership } = this.#options;
    const now = this.#now();
    instances.beat(instanceId, now);
    if (leadership.tryLead()) this.#lead(now);
    this.#claimForIdleTabs();
    this.#giveBack();
    this.#catchUpEnds();
    this.#requeueOrphans();
  }

  /**
   * A task can be this instance's in the store without being held here: handed over by an instance that
   * died before saying so, or handed to a tab that left before it arrived. Seen so on two beats in a row
   * (a hand-off in flight takes milliseconds), it goes back to the queue, its attempt not counted.
   */
  #requeueOrphans(): void {
    const { queue, instanceId, book, logger } = this.#options;
    const seen = new Set<TaskId>();
    for (const { id, status } of queue.ownedBy(instanceId)) {
      if (book.open.holds(id)) continue;
      if (!this.#orphans.has(id)) {
        seen.add(id);
        continue;
      }
      if (status === 'assigned') this.#change(id, { type: 'requeue' });
      if (queue.release(id, instanceId))
        logger.info({ taskId: id }, 'a task handed here with no tab to take it is back in the shared queue');
    }
    this.#orphans = seen;
  }

  /**
   * Callers here waiting on tasks another instance serves hear of the end from the channel; a message
   * lost on the way (Redis restarting, the serving instance dying right after its commit) must not leave
   * them waiting, so once a beat the store is asked which of those tasks ended.
   */
  #catchUpEnds(): void {
    const { book, queue } = this.#options;
    const elsewhere = book.awaitedIds().filter((id) => book.open.get(id) === undefined);
    for (const id of queue.finishedAmong(elsewhere)) this.#relayEnd(id);
  }

  /**
   * Claims, for the tabs here with a free slot, the shared queue's tasks they could serve. Asks the
   * database only when some tab here is idle, and only for models that have tasks waiting.
   */
  #claimForIdleTabs(): void {
    const { registry, queue, instanceId, catalog, store, book, dispatcher } = this.#options;
    const idle = [...registry.all()].filter((session) => session.activeTasks.size < session.capabilities.maxConcurrentTasks);
    if (idle.length === 0) return;
    for (const [modelId, waiting] of queue.waitingByModel()) {
      const model = findModel(catalog, modelId);
      if (model === undefined) continue;
      let left = waiting;
      for (const session of idle) {
        const free = session.capabilities.maxConcurrentTasks - session.activeTasks.size;
        const tier = this.#options.tierOf(session);
        if (left <= 0) break;
        if (free <= 0 || workRefusal(placementCandidate(session, tier), model) !== undefined) continue;
        const standings = { trusted: meetsTier(tier, 'trusted'), veteran: meetsTier(tier, 'veteran') };
        const claimed = queue.claim(instanceId, modelId, standings, Math.min(free, left));
        left -= claimed.length;
        for (const { id, directTo } of claimed) {
          const record = store.get(id);
          if (record?.status === 'queued') book.open.admit(record, directTo, '', specBytes(record.spec));
        }
        if (claimed.length > 0) dispatcher.workerAvailable(session);
      }
    }
  }

  /** Every queued task this instance holds and could not place goes back to the shared queue. */
  #giveBack(): void {
    const { book, queue, instanceId, channel } = this.#options;
    const models = new Set<string>();
    for (const { id, model, directTo } of book.open.queuedHere()) {
      if (!queue.release(id, instanceId, directTo)) continue;
      book.forget(id);
      models.add(model);
    }
    for (const model of models) void channel.publish({ event: 'task:queued', payload: { model } });
  }

  /** The leader's rounds: dead instances' tasks back to the queue, unowned tasks past their deadline ended. */
  #lead(now: number): void {
    const { instances, queue, instanceId, logger, channel } = this.#options;
    const dead = new Set([
      ...instances.silentSince(now - (this.#options.deadAfterMs ?? INSTANCE_DEAD_AFTER_MS)),
      ...instances.unknownOwners(),
    ]);
    dead.delete(instanceId);
    for (const gone of dead) {
      const models = new Set<string>();
      let moved = 0;
      for (const { id } of queue.ownedBy(gone)) {
        if (!queue.takeOver(id, instanceId)) continue;
        const record = this.#options.store.get(id);
        if (record?.status === 'assigned') this.#change(id, { type: 'requeue' });
        if (queue.release(id, instanceId) && record !== undefined) {
          models.add(record.spec.model);
          moved++;
        }
      }
      instances.forget(gone);
      logger.warn({ instance: gone, tasks: moved }, 'an instance went silent: its open tasks are back in the shared queue');
      for (const model of models) void channel.publish({ event: 'task:queued', payload: { model } });
    }
    for (const id of queue.unownedPastDeadline(now)) {
      if (!queue.takeOver(id, instanceId)) continue;
      const record = this.#options.store.get(id);
      if (record === undefined) continue;
      const waited = Math.round((now - record.createdAt) / 1000);
      const error = wireError('no_capacity', `No tab serving ${record.spec.model} took the task within ${waited} s. Try again later.`);
      if (this.#change(id, { type: 'fail', error, at: now }) !== undefined) this.#ended(id, 'failed', error);
    }
  }

  /** A change through the state machine to a task no process holds, written conditionally; the new record or undefined. */
  #change(id: TaskId, change: TaskChange): TaskRecord | undefined {
    const { store } = this.#options;
    const record = store.get(id);
    const next = record === undefined ? undefined : applyTaskChange(record, change);
    if (next === undefined || !store.apply(id, change)) return undefined;
    return next;
  }

  #streamed(id: TaskId, delta: string): void {
    // A checked task's held-back text is released in one piece; the channel carries at most 4096 chars a message.
    for (let start = 0; start < delta.length; start += MAX_CHUNK_CHARS) {
      const seq = this.#chunkSeq.get(id) ?? 0;
      this.#chunkSeq.set(id, seq + 1);
      const piece = delta.slice(start, start + MAX_CHUNK_CHARS);
      void this.#options.channel.publish({ event: 'task:chunk', payload: { taskId: id, seq, delta: piece } });
    }
  }

  /** Tells the other instances a task ended, and relays it to anyone here waiting on a task it did not hold. */
  #ended(id: TaskId, status: 'succeeded' | 'failed' | 'cancelled', error?: TaskRecord['error']): void {
    this.#chunkSeq.delete(id);
    // After this turn: the result's transaction has committed by then (or rolled back, and the receivers,
    // who read the record from the store, see it still open and keep waiting). Sent now, the message could
    // reach another instance before the commit.
    queueMicrotask(() => {
      void this.#options.channel.publish({ event: 'task:ended', payload: { taskId: id, status, ...(error ? { error } : {}) } });
      this.#relayEnd(id);
    });
  }

  #relayEnd(id: TaskId): void {
    const { book, store } = this.#options;
    if (!book.awaited(id) || book.open.get(id) !== undefined) return;
    const record = store.get(id);
    const ended = record === undefined ? undefined : terminalEventOf(record);
    if (ended !== undefined) book.relay(id, ended);
  }
}
