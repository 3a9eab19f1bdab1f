import { TesseraError, findModel, newTaskId, outputMatchesSpec, wireError } from '@tessera/shared';
import type { ErrorCode, ModelCatalogEntry, NodeId, TaskAssign, TaskChunk, TaskError, TaskHandoff, TaskId, TaskResult, TaskSpec, WireError } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { TaskApi, TaskRecord, TaskResultRecord } from '../queue/task-record.ts';
import { TaskQueue } from '../queue/task-queue.ts';
import type { TaskStore } from '../queue/task-store.ts';
import { pickWorker, type PlacementCandidate } from '../scheduling/pick-worker.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { TaskEvent, TaskListener } from './task-event.ts';
import type { DispatcherMetrics } from './dispatcher-metrics.ts';
import type { CheckOutcome } from '../verification/check-outcome.ts';
import type { CheckDecision } from '../verification/verifier.ts';
import { movingAverage, type ReputationBook } from '../identity/reputation-book.ts';

/** The part of the verifier the dispatcher uses. */
export interface ResultChecker {
  sampleCheck(worker: WorkerSession, spec: TaskSpec): CheckDecision;
  check(request: { spec: TaskSpec; claim: TaskResult['output']; worker: WorkerSession }): Promise<CheckOutcome>;
}

export interface DispatcherOptions {
  store: TaskStore;
  registry: WorkerRegistry;
  catalog: readonly ModelCatalogEntry[];
  leaseMs: number;
  queueTimeoutMs: number;
  maxAttempts: number;
  maxQueuedTasks: number;
  reapIntervalMs: number;
  logger: FastifyBaseLogger;
  metrics: DispatcherMetrics;
  /** Guards' re-checks; without one, no result is checked. */
  checker?: ResultChecker;
  /** Where tabs' reputations are kept (completed and failed tasks, speed). */
  reputation?: ReputationBook;
  /** Runs in the same transaction that stores a result: credit for the work is never lost or doubled. */
  onSucceeded?: (record: TaskRecord, session: WorkerSession) => void;
  /** Placement preference from the tab's tier: lower first, Infinity for no work at all. */
  placementRank?: (session: WorkerSession) => number;
  /** Peer introductions (PeerSignalling): a worker and the tab its text streams to directly. */
  peers?: { introduce(a: NodeId, b: NodeId): void; introduced(a: NodeId, b: NodeId): boolean };
  now?: () => number;
}

/** Per-task stream bookkeeping, so a retried task does not repeat text the caller already has. */
interface StreamState {
  /** Text forwarded to listeners so far, across attempts. */
  sentText: string;
  /** Text of the current attempt. */
  attemptText: string;
  nextSeq: number;
  /** The retry produced different text from what was already sent; stop forwarding chunks. */
  diverged: boolean;
}

interface OpenTask {
  record: TaskRecord;
  stream: StreamState;
  /** Tabs that already failed this task; a retry goes elsewhere. */
  failedOn: Set<NodeId>;
  /** Whether a guard checks this attempt's result before delivery (its stream is then held back). */
  check: CheckDecision;
  /** The result is with the guards. */
  verifying: boolean;
  /**
   * The connection of the tab that submitted the task and wants its text over a peer link. Memory only:
   * node ids die with their connection, so after a restart there is no one to stream to.
   */
  directTo: NodeId | null;
}

export type SubmitRequest = { api: TaskApi; spec: TaskSpec; priority: number; directTo?: NodeId | null };

export type WorkerMessageOutcome = { ok: true } | { ok: false; error: WireError };
const OK: WorkerMessageOutcome = { ok: true };
function refuse(code: ErrorCode, message: string): WorkerMessageOutcome {
  return { ok: false, error: wireError(code, message) };
}

function asCandidate(session: WorkerSession, tierRank: number): PlacementCandidate {
  return {
    tierRank,
    nodeId: session.nodeId,
    role: session.role,
    models: session.models,
    gpu: session.capabilities.gpu,
    activeTaskCount: session.activeTasks.size,
    maxConcurrentTasks: session.capabilities.maxConcurrentTasks,
    tokensPerSecond: session.tokensPerSecond,
    lastAssignedAt: session.lastAssignedAt,
  };
}

/**
 * Moves tasks from the queue to tabs and results back to callers. Every transition is written to the
 * store first; the in-memory maps only mirror open tasks for speed. Leases bound how long a tab may hold
 * a task; a lost tab or lease puts the task back at the head of its queue until attempts run out.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #now: () => number;
  readonly #open = new Map<TaskId, OpenTask>();
  readonly #queue = new TaskQueue();
  readonly #listeners = new Map<TaskId, Set<TaskListener>>();
  #reaper: NodeJS.Timeout | undefined;
  #queuedCount = 0;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Reloads open tasks after a restart and starts the lease and deadline reaper. */
  start(): void {
    for (const record of this.#options.store.recoverOpenTasks()) {
      this.#open.set(record.id, { record, stream: freshStream(), failedOn: new Set(), check: 'skip', verifying: false, directTo: null });
      this.#queue.enqueue(record.spec.model, { id: record.id, priority: record.priority });
      this.#queuedCount++;
    }
    if (this.#open.size > 0) this.#options.logger.info({ recovered: this.#open.size }, 'recovered open tasks from the database');
    this.#options.metrics.setQueued(this.#queuedCount);
    this.#reaper = setInterval(() => this.reap(), this.#options.reapIntervalMs);
    this.#reaper.unref();
  }

  stop(): void {
    clearInterval(this.#reaper);
    this.#reaper = undefined;
  }

  /** Persists the task, then tries to place it. Throws `queue_full` or `model_not_found` without storing. */
  submit(request: SubmitRequest): TaskRecord {
    if (this.#queuedCount >= this.#options.maxQueuedTasks) throw new TesseraError('queue_full');
    const model = this.#model(request.spec.model);
    const now = this.#now();
    const record: TaskRecord = {
      id: newTaskId(),
      api: request.api,
      spec: request.spec,
      status: 'queued',
      priority: request.priority,
      attempts: 0,
      maxAttempts: this.#options.maxAttempts,
      nodeId: null,
      leaseExpiresAt: null,
      createdAt: now,
      deadlineAt: now + this.#options.queueTimeoutMs,
      finishedAt: null,
      result: null,
      error: null,
    };
    this.#options.store.insert(record);
    this.#open.set(record.id, { record, stream: freshStream(), failedOn: new Set(), check: 'skip', verifying: false, directTo: request.directTo ?? null });
    this.#queue.enqueue(model.id, { id: record.id, priority: record.priority });
    this.#queuedCount++;
    this.#options.metrics.taskSubmitted(request.spec.kind, this.#queuedCount);
    this.#schedule(model);
    return record;
  }

  /** Listens to a task's events; returns the unsubscribe function. */
  subscribe(id: TaskId, listener: TaskListener): () => void {
    let set = this.#listeners.get(id);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(id);
    };
  }

  get(id: TaskId): TaskRecord | undefined {
    return this.#open.get(id)?.record ?? this.#options.store.get(id);
  }

  queuePosition(record: TaskRecord): number | null {
    if (record.status !== 'queued') return null;
    return this.#queue.position(record.spec.model, record.id, (id) => this.#isQueued(id));
  }

  queuedByModel(): Record<string, number> {
    const byModel: Record<string, number> = {};
    for (const { record } of this.#open.values()) {
      if (record.status === 'queued') byModel[record.spec.model] = (byModel[record.spec.model] ?? 0) + 1;
    }
    return byModel;
  }

  /** Cancels an open task; returns false if it already finished. */
  cancel(id: TaskId, reason: string): TaskRecord | undefined {
    const task = this.#open.get(id);
    if (task === undefined) return undefined;
    const { record } = task;
    if (!this.#options.store.markCancelled(id, this.#now())) return undefined;
    if (record.status === 'assigned') this.#release(record, reason);
    else this.#queuedCount--;
    record.status = 'cancelled';
    record.finishedAt = this.#now();
    this.#close(task, { type: 'cancelled', record });
    this.#options.metrics.taskFinished('cancelled', this.#queuedCount);
    return record;
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
      const task = this.#open.get(id);
      if (task !== undefined) this.#retryOrFail(task, wireError('worker_disconnected', 'The tab running the task disconnected.'));
    }
    session.activeTasks.clear();
  }

  taskAccepted(session: WorkerSession, taskId: TaskId): WorkerMessageOutcome {
    const task = this.#heldBy(session, taskId);
    if (task === undefined) return refuse('not_assigned', `Task ${taskId} is not assigned to this tab.`);
    task.record.leaseExpiresAt = this.#now() + this.#options.leaseMs;
    return OK;
  }

  /**
   * `task:handoff`: the holder gives the task to a peer it was introduced to. The peer must be a connected
   * worker serving the model with a free slot that has not failed this task. The lease moves in one
   * conditional write (same attempt: a hand-off is not a failure), the peer gets `task:assign` and the
   * sender `task:cancel`; from then on only the peer's messages about the task count, so it is never
   * done twice. A refusal changes nothing: the task stays with the sender.
   */
  handoff(session: WorkerSession, handoff: TaskHandoff): WorkerMessageOutcome {
    const task = this.#heldBy(session, handoff.taskId);
    if (task === undefined) return refuse('not_assigned', `Task ${handoff.taskId} is not assigned to this tab.`);
    const { record } = task;
    const declined = (why: string): WorkerMessageOutcome => refuse('handoff_refused', `Task ${record.id} stays with this tab: ${why}.`);
    if (!(this.#options.peers?.introduced(session.nodeId, handoff.to) ?? false)) return declined(`tab ${handoff.to} is not one of its introduced peers`);
    const target = this.#options.registry.get(handoff.to);
    if (target === undefined) return declined(`tab ${handoff.to} is not connected`);
    if (target.role !== 'worker' || !target.models.has(record.spec.model)) return declined(`tab ${handoff.to} does not serve ${record.spec.model}`);
    if (target.activeTasks.size >= target.capabilities.maxConcurrentTasks) return declined(`tab ${handoff.to} has no free slot`);
    if (task.failedOn.has(target.nodeId)) return declined(`tab ${handoff.to} already failed this task`);
    if ((this.#options.placementRank?.(target) ?? 0) === Infinity) return declined(`tab ${handoff.to} may not take work`);
    const now = this.#now();
    const leaseExpiresAt = now + this.#options.leaseMs;
    if (!this.#options.store.markMoved(record.id, session.nodeId, target.nodeId, leaseExpiresAt)) return declined('it moved on meanwhile');
    session.activeTasks.delete(record.id);
    session.channel.send({ event: 'task:cancel', payload: { taskId: record.id, reason: `handed off to ${target.nodeId}` } });
    this.#options.logger.info({ taskId: record.id, from: session.nodeId, to: target.nodeId }, 'task handed off');
    this.#options.metrics.taskHandedOff();
    this.#deliver(task, target, record.attempts, leaseExpiresAt, now);
    return OK;
  }

  taskChunk(session: WorkerSession, chunk: TaskChunk): WorkerMessageOutcome {
    const task = this.#heldBy(session, chunk.taskId);
    if (task === undefined) return refuse('not_assigned', `Task ${chunk.taskId} is not assigned to this tab.`);
    const { stream, record } = task;
    if (record.spec.kind !== 'chat') return refuse('protocol_violation', 'Only chat tasks stream chunks.');
    if (chunk.seq !== stream.nextSeq) return refuse('protocol_violation', `Expected chunk seq ${stream.nextSeq}, got ${chunk.seq}.`);
    stream.nextSeq++;
    stream.attemptText += chunk.delta;
    // Progress renews the lease: a long generation is fine, a stalled one is not.
    record.leaseExpiresAt = this.#now() + this.#options.leaseMs;
    if (stream.diverged || task.check === 'check') return OK;
    if (stream.attemptText.length <= stream.sentText.length) {
      if (!stream.sentText.startsWith(stream.attemptText)) stream.diverged = true;
      return OK;
    }
    if (!stream.attemptText.startsWith(stream.sentText)) {
      stream.diverged = true;
      return OK;
    }
    const delta = stream.attemptText.slice(stream.sentText.length);
    stream.sentText = stream.attemptText;
    this.#emit(record.id, { type: 'chunk', delta });
    return OK;
  }

  taskResult(session: WorkerSession, result: TaskResult): WorkerMessageOutcome {
    const task = this.#heldBy(session, result.taskId);
    if (task === undefined) return refuse('not_assigned', `Task ${result.taskId} is not assigned to this tab.`);
    const { record } = task;
    if (!outputMatchesSpec(record.spec, result.output)) {
      session.failedTasks++;
      this.#retryOrFail(task, wireError('protocol_violation', 'The tab returned a result that does not answer the task.'));
      return refuse('protocol_violation', 'The result does not match the task (kind, count or length).');
    }
    session.activeTasks.delete(record.id);
    const checker = this.#options.checker;
    if (task.check === 'check' && checker !== undefined) {
      task.verifying = true;
      record.leaseExpiresAt = null;
      void checker.check({ spec: record.spec, claim: result.output, worker: session }).then((outcome) => this.#afterCheck(task, session, result, outcome));
    } else {
      this.#succeed(task, session, result, task.check === 'unverifiable' ? 'unverified' : 'unchecked');
    }
    this.workerAvailable(session);
    return OK;
  }

  taskError(session: WorkerSession, error: TaskError): WorkerMessageOutcome {
    const task = this.#heldBy(session, error.taskId);
    if (task === undefined) return refuse('not_assigned', `Task ${error.taskId} is not assigned to this tab.`);
    session.failedTasks++;
    const reported = wireError(error.code, error.message);
    if (error.retryable) this.#retryOrFail(task, reported);
    else this.#fail(task, wireError('task_failed', `The worker could not run the task: ${error.message}`));
    this.workerAvailable(session);
    return OK;
  }

  #afterCheck(task: OpenTask, session: WorkerSession, result: TaskResult, outcome: CheckOutcome): void {
    if (!task.verifying || this.#open.get(task.record.id) !== task) return;
    task.verifying = false;
    if (outcome.verdict === 'invalid') {
      session.failedTasks++;
      this.#retryOrFail(task, wireError('task_failed', `A guard found the tab's result wrong: ${outcome.reason}`));
      return;
    }
    this.#succeed(task, session, result, outcome.verdict === 'valid' ? 'passed' : 'unverified');
  }

  #succeed(task: OpenTask, session: WorkerSession, result: TaskResult, check: TaskResultRecord['check']): void {
    const { record } = task;
    const finishedAt = this.#now();
    const stored: TaskResultRecord = { output: result.output, usage: result.usage, timings: result.timings, nodeId: session.nodeId, check };
    const committed = this.#options.store.transaction(() => {
      if (!this.#options.store.markSucceeded(record.id, stored, finishedAt)) return false;
      this.#options.onSucceeded?.({ ...record, status: 'succeeded', result: stored, finishedAt }, session);
      return true;
    });
    if (!committed) return;
    session.completedTasks++;
    let speed: number | null = null;
    if (result.output.kind === 'chat' && result.timings.totalMs > 0 && result.usage.completionTokens > 0) {
      speed = (result.usage.completionTokens * 1000) / result.timings.totalMs;
      session.tokensPerSecond = movingAverage(session.tokensPerSecond, speed);
    }
    this.#options.reputation?.update(session.key.publicKey, (stats) => ({
      ...stats,
      tasksCompleted: stats.tasksCompleted + 1,
      latencyMs: movingAverage(stats.latencyMs, result.timings.totalMs),
      tokensPerSecond: speed === null ? stats.tokensPerSecond : movingAverage(stats.tokensPerSecond, speed),
    }));
    record.status = 'succeeded';
    record.result = stored;
    record.finishedAt = finishedAt;
    record.leaseExpiresAt = null;
    this.#close(task, { type: 'succeeded', record });
    this.#options.metrics.taskFinished('succeeded', this.#queuedCount, finishedAt - record.createdAt, result.usage.completionTokens);
  }

  /** Expires leases and queue deadlines; runs on a timer, callable directly in tests. */
  reap(): void {
    const now = this.#now();
    for (const task of [...this.#open.values()]) {
      const { record } = task;
      if (record.status === 'assigned' && record.leaseExpiresAt !== null && record.leaseExpiresAt <= now) {
        this.#options.logger.warn({ taskId: record.id, nodeId: record.nodeId }, 'lease expired');
        const session = record.nodeId === null ? undefined : this.#options.registry.get(record.nodeId);
        this.#release(record, 'lease expired');
        this.#retryOrFail(task, wireError('lease_expired', `The tab did not finish within ${this.#options.leaseMs} ms.`), false);
        if (session !== undefined) this.workerAvailable(session);
      } else if (record.status === 'queued' && record.deadlineAt <= now) {
        const waitedSeconds = Math.round((now - record.createdAt) / 1000);
        this.#fail(task, wireError('no_capacity', `No tab serving ${record.spec.model} took the task within ${waitedSeconds} s. Try again later or pick another model from GET /v1/models.`));
      }
    }
  }

  /** Open tasks, for the network snapshot and metrics. */
  openCounts(): { queued: number; assigned: number } {
    return { queued: this.#queuedCount, assigned: this.#open.size - this.#queuedCount };
  }

  #schedule(model: ModelCatalogEntry): void {
    const isQueued = (id: TaskId): boolean => this.#isQueued(id);
    for (;;) {
      const nextId = this.#queue.peek(model.id, isQueued);
      if (nextId === undefined) return;
      const task = this.#open.get(nextId);
      if (task === undefined) return;
      const candidates: PlacementCandidate[] = [];
      for (const session of this.#options.registry.candidatesFor(model.id)) {
        if (!task.failedOn.has(session.nodeId)) candidates.push(asCandidate(session, this.#options.placementRank?.(session) ?? 0));
      }
      const chosen = pickWorker(model, candidates);
      if (chosen === undefined) return;
      const session = this.#options.registry.get(chosen.nodeId);
      if (session === undefined) return;
      this.#queue.shift(model.id, isQueued);
      this.#assign(task, session);
    }
  }

  #assign(task: OpenTask, session: WorkerSession): void {
    const { record } = task;
    const now = this.#now();
    const attempts = record.attempts + 1;
    const leaseExpiresAt = now + this.#options.leaseMs;
    if (!this.#options.store.markAssigned(record.id, session.nodeId, attempts, leaseExpiresAt)) return;
    record.status = 'assigned';
    record.attempts = attempts;
    this.#queuedCount--;
    this.#options.metrics.taskAssigned(now - record.createdAt, this.#queuedCount);
    this.#deliver(task, session, attempts, leaseExpiresAt, now);
  }

  /** Gives an attempt (new, or moved by a hand-off) to a tab: memory, introductions, then `task:assign`. */
  #deliver(task: OpenTask, session: WorkerSession, attempt: number, leaseExpiresAt: number, now: number): void {
    const { record } = task;
    record.nodeId = session.nodeId;
    record.leaseExpiresAt = leaseExpiresAt;
    task.stream.attemptText = '';
    task.stream.nextSeq = 0;
    task.check = this.#options.checker?.sampleCheck(session, record.spec) ?? 'skip';
    task.verifying = false;
    session.activeTasks.add(record.id);
    session.lastAssignedAt = now;
    const payload: TaskAssign = { taskId: record.id, leaseMs: this.#options.leaseMs, attempt, task: record.spec };
    // Only while the requesting tab is still connected; otherwise the text comes here as usual.
    if (task.directTo !== null && task.directTo !== session.nodeId && this.#options.peers !== undefined && this.#options.registry.get(task.directTo) !== undefined) {
      this.#options.peers.introduce(session.nodeId, task.directTo);
      payload.directStream = { to: task.directTo };
    }
    session.channel.send({ event: 'task:assign', payload });
  }

  /** Takes an assigned task away from its tab, telling the tab to stop. */
  #release(record: TaskRecord, reason: string): void {
    if (record.nodeId === null) return;
    const session = this.#options.registry.get(record.nodeId);
    if (session === undefined) return;
    session.activeTasks.delete(record.id);
    session.channel.send({ event: 'task:cancel', payload: { taskId: record.id, reason } });
  }

  #retryOrFail(task: OpenTask, cause: WireError, releaseFromTab = true): void {
    const { record } = task;
    if (record.status !== 'assigned') return;
    if (record.nodeId !== null) {
      task.failedOn.add(record.nodeId);
      const session = this.#options.registry.get(record.nodeId);
      if (session !== undefined) this.#options.reputation?.update(session.key.publicKey, (stats) => ({ ...stats, tasksFailed: stats.tasksFailed + 1 }));
    }
    if (releaseFromTab && record.nodeId !== null) this.#options.registry.get(record.nodeId)?.activeTasks.delete(record.id);
    if (record.attempts >= record.maxAttempts) {
      this.#fail(task, wireError('attempts_exhausted', `The task failed on ${record.attempts} tab(s); last error: ${cause.message}`));
      return;
    }
    if (!this.#options.store.markRequeued(record.id)) return;
    this.#options.logger.info({ taskId: record.id, attempt: record.attempts, reason: cause.code }, 'task requeued');
    record.status = 'queued';
    record.nodeId = null;
    record.leaseExpiresAt = null;
    this.#queuedCount++;
    this.#options.metrics.taskRequeued(cause.code);
    // Back to the front: it has waited its turn already.
    this.#queue.enqueue(record.spec.model, { id: record.id, priority: record.priority }, true);
    const model = findModel(this.#options.catalog, record.spec.model);
    if (model !== undefined) this.#schedule(model);
  }

  #fail(task: OpenTask, error: WireError): void {
    const { record } = task;
    const finishedAt = this.#now();
    if (!this.#options.store.markFailed(record.id, error, finishedAt)) return;
    if (record.status === 'queued') this.#queuedCount--;
    else if (record.nodeId !== null) this.#options.registry.get(record.nodeId)?.activeTasks.delete(record.id);
    record.status = 'failed';
    record.error = error;
    record.finishedAt = finishedAt;
    record.leaseExpiresAt = null;
    this.#close(task, { type: 'failed', record, error });
    this.#options.metrics.taskFinished('failed', this.#queuedCount);
  }

  #close(task: OpenTask, event: TaskEvent): void {
    this.#open.delete(task.record.id);
    this.#emit(task.record.id, event);
    this.#listeners.delete(task.record.id);
  }

  #emit(id: TaskId, event: TaskEvent): void {
    const listeners = this.#listeners.get(id);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#options.logger.error({ err: error, taskId: id }, 'task listener threw');
      }
    }
  }

  #heldBy(session: WorkerSession, id: TaskId): OpenTask | undefined {
    const task = this.#open.get(id);
    if (task === undefined || task.record.status !== 'assigned' || task.record.nodeId !== session.nodeId || task.verifying) return undefined;
    return task;
  }

  #isQueued(id: TaskId): boolean {
    return this.#open.get(id)?.record.status === 'queued';
  }

  #model(id: string): ModelCatalogEntry {
    const model = findModel(this.#options.catalog, id);
    if (model === undefined) throw new TesseraError('model_not_found', `The model '${id}' does not exist. GET /v1/models lists the models Tessera serves.`, 'model');
    return model;
  }
}

function freshStream(): StreamState {
  return { sentText: '', attemptText: '', nextSeq: 0, diverged: false };
}

