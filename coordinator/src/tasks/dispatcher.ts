import { TesseraError, findModel, wireError } from '@tessera/shared';
import type {
  ModelCatalogEntry,
  NodeId,
  TaskChunk,
  TaskError,
  TaskHandoff,
  TaskId,
  TaskResult,
  TaskSpec,
  Tier,
  WireError,
} from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { PlacementCandidate } from '../placement/eligibility.ts';
import { pickWorker } from '../placement/pick-worker.ts';
import { placementCandidate } from '../placement/placement-candidate.ts';
import type { ResultChecker } from '../verification/check-outcome.ts';
import { OK, refusal, type WorkerMessageOutcome } from '../workers/worker-message-outcome.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { WorkCounter } from '../work/work-counter.ts';
import type { TaskRecord } from './task-record.ts';
import { ResultIntake } from './result-intake.ts';
import { assertRoomForInput } from './room-for-input.ts';
import { TaskBook } from './task-book.ts';
import type { TaskStore } from './task-store.ts';
import { newTaskRecord, openTask, specBytes, type OpenTask, type PinnedOutcome } from './open-task.ts';
import { deliverTask } from './deliver-task.ts';
import { TaskHandoffs } from './task-handoffs.ts';
import { assertServable } from './assert-servable.ts';
import type { SubmitRequest } from './submit-request.ts';
import type { HandoffsElsewhere } from './handoffs-elsewhere.ts';
import type { ModelAvailability } from '../placement/model-availability.ts';
import type { TaskListener } from './task-event.ts';

export interface DispatcherOptions {
  store: TaskStore;
  registry: WorkerRegistry;
  catalog: readonly ModelCatalogEntry[];
  leaseMs: number;
  queueTimeoutMs: number;
  maxAttempts: number;
  maxQueuedTasks: number;
  /** Bytes of input open tasks may hold in all, and per client: the coordinator's memory stays bounded. */
  maxOpenBytes: number;
  maxOpenBytesPerClient: number;
  /** Queued inputs at least this large wait in the store, not in memory, until their turn (default: none). */
  largeInputBytes?: number;
  logger: FastifyBaseLogger;
  events: CoordinatorEventBus;
  /** Guards' re-checks; without one, no result is checked. */
  checker?: ResultChecker;
  /** The coordinator's own count of each result's work (`WorkCounter`); without one, usage is taken as sent. */
  counter?: Pick<WorkCounter, 'count' | 'uncountable'>;
  /** The tab's reputation tier: placement prefers better ones, `banned` gets nothing. */
  tierOf?: (session: WorkerSession) => Tier;
  /** The task records, when the composition root shares them (scale-out moves tasks between instances). */
  book?: TaskBook;
  /** Cancels a task this process does not hold (scale-out: it waits in the shared queue or runs elsewhere). */
  cancelElsewhere?: (id: TaskId, reason: string) => TaskRecord | undefined;
  /** Peer introductions (PeerSignalling): a worker and the tab its text streams to directly. */
  peers?: { introduce(a: NodeId, b: NodeId): void; introduced(a: NodeId, b: NodeId): boolean; mayReach(nodeId: NodeId): boolean };
  /** Whether some tab could serve a model: a task none could serve is refused at once (`no_capacity`). */
  availability?: ModelAvailability;
  /** Hand-offs to tabs on other instances (scale-out: `ClusterHandoffs`). */
  handoffsElsewhere?: HandoffsElsewhere;
  now?: () => number;
}

/**
 * Moves tasks from the queue to tabs and results back to callers. Every change of a task goes through
 * `applyTaskChange` (the state machine) and is written to the store before anyone hears of it; the
 * in-memory maps only mirror open tasks for speed. What the changes mean for reputation, rewards and
 * metrics is told on the event bus: the dispatcher decides nothing about them.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #now: () => number;
  readonly #book: TaskBook;
  readonly #intake: ResultIntake;
  readonly #handoffs: TaskHandoffs;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#book =
      options.book ??
      new TaskBook({
        store: options.store,
        registry: options.registry,
        events: options.events,
        logger: options.logger,
        now: this.#now,
        largeInputBytes: options.largeInputBytes,
      });
    this.#intake = new ResultIntake({
      book: this.#book,
      events: options.events,
      counter: options.counter,
      checker: options.checker,
      attemptFailed: (task, worker, cause, byTab = true) => this.#retryOrFail(task, worker, cause, byTab),
      now: this.#now,
    });
    this.#handoffs = new TaskHandoffs({
      ...options,
      book: this.#book,
      now: this.#now,
      tier: (session) => this.#tier(session),
      model: (id) => this.#model(id),
      deliver: (task, session) => this.#deliver(task, session),
      retryOrFail: (task, session) => this.#retryOrFail(task, session, gone(), false),
    });
  }

  /** Reloads the open tasks a previous process left in the store. */
  recover(): void {
    const records = this.#options.store.recoverOpenTasks();
    for (const record of records) this.#book.open.admit(record, null, '', specBytes(record.spec));
    if (records.length > 0) this.#options.logger.info({ recovered: records.length }, 'recovered open tasks from the database');
  }

  /** Persists the task, then tries to place it. Throws `queue_full` or `model_not_found` without storing. */
  submit(request: SubmitRequest): TaskRecord {
    if (this.#book.queued >= this.#options.maxQueuedTasks) throw new TesseraError('queue_full');
    const client = request.client ?? '';
    // Weighed once: serializing a large spec is the costly part of the bound.
    const bytes = specBytes(request.spec);
    this.assertRoomFor(client, bytes);
    const model = this.#model(request.spec.model);
    assertServable(model, request.waitForTab === true, this.#options);
    const { maxAttempts, queueTimeoutMs: waitMs } = this.#options;
    const record = newTaskRecord({ ...request, maxAttempts, now: this.#now(), waitMs });
    this.#options.store.insert(record);
    this.#book.open.admit(record, request.directTo ?? null, client, bytes);
    this.#options.events.emit('task:submitted', { record, queued: this.#book.queued });
    this.#schedule(model);
    return record;
  }

  /**
   * Runs a task on one given tab (a known-answer check), through the same path as any task: the tab's
   * messages about it are handled here like any other. Resolves when it ends; it is not stored.
   */
  runPinned(spec: TaskSpec, session: WorkerSession): Promise<PinnedOutcome> {
    return new Promise((resolve) => {
      const record = newTaskRecord({
        api: 'chat.completion',
        spec,
        priority: 0,
        maxAttempts: 1,
        now: this.#now(),
        waitMs: this.#options.leaseMs,
      });
      const task = openTask(record, null, resolve);
      this.#book.open.add(task);
      this.#assign(task, session);
    });
  }

  subscribe(id: TaskId, listener: TaskListener): () => void {
    return this.#book.subscribe(id, listener);
  }

  /** Whether a caller here waits on the task. */
  awaited(id: TaskId): boolean {
    return this.#book.awaited(id);
  }

  get(id: TaskId): TaskRecord | undefined {
    return this.#book.get(id);
  }

  queuePosition(record: TaskRecord): number | null {
    return this.#book.open.position(record);
  }

  queuedByModel(): Record<string, number> {
    return this.#book.open.queuedByModel();
  }

  /** Open tasks, for the network snapshot and metrics. */
  openCounts(): { queued: number; assigned: number } {
    return this.#book.open.counts();
  }

  /** Cancels an open task; undefined if it already finished. */
  cancel(id: TaskId, reason: string): TaskRecord | undefined {
    const task = this.#book.open.load(id);
    if (task === undefined) return this.#options.cancelElsewhere?.(id, reason);
    if (task.pinned !== null) return undefined;
    return this.#book.cancel(task, reason) ? task.record : undefined;
  }

  /** A tab joined or changed what it offers: try to give it work. */
  workerAvailable(session: WorkerSession): void {
    for (const modelId of session.models.keys()) {
      const model = findModel(this.#options.catalog, modelId);
      if (model !== undefined) this.#schedule(model);
      if (session.activeTasks.size >= session.capabilities.maxConcurrentTasks) return;
    }
  }

  /** A tab left: every task it held goes back to the queue (or fails if out of attempts). */
  workerGone(session: WorkerSession): void {
    for (const id of [...session.activeTasks]) {
      const task = this.#book.open.get(id);
      if (task !== undefined && !task.handingOff) this.#retryOrFail(task, session, gone(), false);
    }
    session.activeTasks.clear();
  }

  taskAccepted(session: WorkerSession, taskId: TaskId): WorkerMessageOutcome {
    const task = this.#book.heldBy(session, taskId);
    if (task === undefined) return refusal('not_assigned', `Task ${taskId} is not assigned to this tab.`);
    this.#book.change(task, { type: 'renew', leaseExpiresAt: this.#now() + this.#options.leaseMs });
    return OK;
  }

  /** `task:handoff` (`TaskHandoffs`): the holder gives the task to an introduced peer, here or elsewhere. */
  handoff(session: WorkerSession, handoff: TaskHandoff): WorkerMessageOutcome | Promise<WorkerMessageOutcome> {
    return this.#handoffs.handoff(session, handoff);
  }

  /** A task a tab on another instance handed to `session` here (scale-out): opened here, and given to it. */
  adopt(record: TaskRecord, session: WorkerSession, directTo: NodeId | null): void {
    const task = openTask(record, directTo, null, '', specBytes(record.spec));
    this.#book.open.add(task);
    this.#deliver(task, session);
  }

  taskChunk(session: WorkerSession, chunk: TaskChunk): WorkerMessageOutcome {
    const task = this.#book.heldBy(session, chunk.taskId);
    if (task === undefined) return refusal('not_assigned', `Task ${chunk.taskId} is not assigned to this tab.`);
    if (task.record.spec.kind !== 'chat') return refusal('protocol_violation', 'Only chat tasks stream chunks.');
    if (chunk.seq !== task.stream.nextSeq)
      return refusal('protocol_violation', `Expected chunk seq ${task.stream.nextSeq}, got ${chunk.seq}.`);
    // Progress renews the lease: a long generation is fine, a stalled one is not.
    this.#book.change(task, { type: 'renew', leaseExpiresAt: this.#now() + this.#options.leaseMs });
    task.firstChunkAt ??= this.#now();
    const forward = task.stream.append(chunk.delta, task.check === 'check');
    if (forward !== '') this.#book.chunk(task, forward);
    return OK;
  }

  /** A result whose signature the gateway verified: counted, checked when sampled, stored (`ResultIntake`). */
  async taskResult(session: WorkerSession, sent: TaskResult): Promise<WorkerMessageOutcome> {
    const task = this.#book.heldBy(session, sent.taskId);
    if (task === undefined) return refusal('not_assigned', `Task ${sent.taskId} is not assigned to this tab.`);
    const outcome = await this.#intake.take(task, session, sent);
    this.workerAvailable(session);
    return outcome;
  }

  /**
   * A tab could not run the task. Whatever it says of the error, the task goes to another tab: a tab is
   * no judge of whether the task is at fault, and one that fails everything must not fail its callers'
   * tasks. Only when every attempt failed does the caller get an error (`attempts_exhausted`, naming the
   * last one). Failures count against the tab (`FailureWatch`).
   */
  taskError(session: WorkerSession, error: TaskError): WorkerMessageOutcome {
    const task = this.#book.heldBy(session, error.taskId);
    if (task === undefined) return refusal('not_assigned', `Task ${error.taskId} is not assigned to this tab.`);
    this.#retryOrFail(task, session, wireError(error.code, error.message), true);
    this.workerAvailable(session);
    return OK;
  }

  /** Expires leases and queue deadlines; runs on a timer (`LeaseReaper`), callable directly in tests. */
  reap(): void {
    const now = this.#now();
    // Expired tasks whose input waits in the store are read back only to end them.
    for (const id of this.#book.open.storedPastDeadline(now)) this.#book.open.load(id);
    for (const task of this.#book.open.list()) {
      const { record } = task;
      if (record.status === 'assigned' && record.leaseExpiresAt !== null && record.leaseExpiresAt <= now) {
        this.#options.logger.warn({ taskId: record.id, nodeId: record.nodeId }, 'lease expired');
        const session = record.nodeId === null ? undefined : this.#options.registry.get(record.nodeId);
        this.#book.release(record.id, record.nodeId, 'lease expired');
        this.#retryOrFail(task, session, wireError('lease_expired', `The tab did not finish within ${this.#options.leaseMs} ms.`), false);
        if (session !== undefined) this.workerAvailable(session);
      } else if (record.status === 'queued' && record.deadlineAt <= now) {
        const waitedSeconds = Math.round((now - record.createdAt) / 1000);
        this.#book.fail(
          task,
          wireError(
            'no_capacity',
            `No tab serving ${record.spec.model} took the task within ${waitedSeconds} s. Try again later or pick another model from GET /v1/models.`,
          ),
        );
      }
    }
  }

  #schedule(model: ModelCatalogEntry): void {
    for (;;) {
      const task = this.#book.open.next(model.id);
      if (task === undefined) return;
      const candidates: PlacementCandidate[] = [];
      for (const session of this.#options.registry.candidatesFor(model.id)) {
        if (!task.failedOn.has(session.nodeId)) candidates.push(placementCandidate(session, this.#tier(session)));
      }
      const chosen = pickWorker(model, candidates, task.record.minTier);
      if (chosen === undefined) return;
      const session = this.#options.registry.get(chosen.nodeId);
      // A refused assignment (the store disagrees) ends this round rather than spinning on the same task.
      if (session === undefined || !this.#assign(task, session)) return;
    }
  }

  #assign(task: OpenTask, session: WorkerSession): boolean {
    const now = this.#now();
    if (!this.#book.change(task, { type: 'assign', nodeId: session.nodeId, leaseExpiresAt: now + this.#options.leaseMs })) return false;
    if (task.pinned === null)
      this.#options.events.emit('task:assigned', {
        record: task.record,
        worker: session,
        waitedMs: now - task.record.createdAt,
        queued: this.#book.queued,
      });
    this.#deliver(task, session);
    return true;
  }

  #deliver(task: OpenTask, session: WorkerSession): void {
    deliverTask(task, session, {
      leaseMs: this.#options.leaseMs,
      checker: this.#options.checker,
      peers: this.#options.peers,
      now: this.#now,
    });
  }

  #retryOrFail(task: OpenTask, worker: WorkerSession | undefined, cause: WireError, byTab: boolean): void {
    const { record } = task;
    if (record.status !== 'assigned') return;
    this.#book.attemptFailed(task, worker, cause, byTab);
    if (record.attempts >= record.maxAttempts) {
      this.#book.fail(
        task,
        task.pinned === null
          ? wireError('attempts_exhausted', `The task failed on ${record.attempts} tab(s); last error: ${cause.message}`)
          : cause,
      );
      return;
    }
    if (!this.#book.change(task, { type: 'requeue' })) return;
    this.#options.logger.info({ taskId: record.id, attempt: record.attempts, reason: cause.code }, 'task requeued');
    this.#options.events.emit('task:requeued', { record, cause });
    const model = findModel(this.#options.catalog, record.spec.model);
    if (model !== undefined) this.#schedule(model);
  }

  /** Throws when `bytes` more of input from `client` would not fit (`assertRoomForInput`). */
  assertRoomFor(client: string, bytes: number): void {
    assertRoomForInput(this.#book.open, client, bytes, this.#options);
  }

  #tier(session: WorkerSession): Tier {
    return this.#options.tierOf?.(session) ?? 'trusted';
  }

  #model(id: string): ModelCatalogEntry {
    const model = findModel(this.#options.catalog, id);
    if (model === undefined)
      throw new TesseraError(
        'model_not_found',
        `The model '${id}' does not exist. GET /v1/models lists the models Tessera serves.`,
        'model',
      );
    return model;
  }
}

function gone(): WireError {
  return wireError('worker_disconnected', 'The tab running the task disconnected.');
}
