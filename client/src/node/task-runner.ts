import { TesseraError, assertNever, resultSigningBytes } from '@tessera/shared';
import type { NodeId, TaskAccept, TaskAssign, TaskChunk, TaskError, TaskId, TaskResult, TaskSpec } from '@tessera/shared';
import type { TabIdentity } from '../identity/tab-identity.ts';
import type { DirectTextStream } from '../peer/direct-text-stream.ts';
import type { InferenceEngine } from '../engine/inference-engine.ts';
import { isCancellation, toWireError } from '../engine/wire-error.ts';

/** Where a task's messages go: the coordinator connection in a tab, a recorder in tests. */
export interface TaskSink {
  accept(payload: TaskAccept): void;
  chunk(payload: TaskChunk): void;
  result(payload: TaskResult): void;
  error(payload: TaskError): void;
}

export type ServedTaskStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'handed-off' | 'refused';

/** One line of the volunteer page's "recent tasks" list. */
export interface ServedTask {
  taskId: TaskId;
  kind: TaskSpec['kind'];
  model: string;
  status: ServedTaskStatus;
  startedAt: number;
  /** Generated tokens (chat) or embedded inputs (embeddings). */
  units: number;
  firstTokenMs: number | null;
  totalMs: number | null;
  tokensPerSecond: number | null;
  error: string | null;
  /** The text went straight to the requesting tab over a peer link. */
  direct: boolean;
}

export interface TaskRunnerOptions {
  engine: InferenceEngine;
  sink: TaskSink;
  /** Signs every result (`resultSigningBytes`). */
  identity: Pick<TabIdentity, 'sign'>;
  /** The node id of the current connection (`worker:welcome`); results are signed for it. */
  nodeId: () => NodeId | null;
  maxConcurrentTasks: number;
  /**
   * Tasks run on the engine at once; assignments beyond it (up to `maxConcurrentTasks`) wait in order in
   * the tab, where a busy tab can hand them to an idle peer. Default `maxConcurrentTasks`.
   */
  parallelRuns?: number;
  /** Opens the direct stream an assignment asks for; null: text goes to the coordinator as usual. */
  openDirectStream?: (assign: TaskAssign) => DirectTextStream | null;
  /** Resolves once the model is loaded (loading it on demand if the tab offers it), or throws. */
  ensureModel: (modelId: string) => Promise<void>;
  /** Called whenever a task starts, progresses to an end, or is refused. */
  onUpdate?: (task: ServedTask) => void;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  /** Wall clock for `startedAt`. */
  wallClock?: () => number;
}

/** The coordinator refuses chunks longer than this (`taskChunkSchema`). */
export const MAX_CHUNK_CHARS = 4096;

/** Splits a delta into pieces of at most `max` characters without cutting a surrogate pair. */
export function splitDelta(delta: string, max = MAX_CHUNK_CHARS): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < delta.length) {
    let end = Math.min(start + max, delta.length);
    const last = delta.charCodeAt(end - 1);
    if (end < delta.length && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(delta.slice(start, end));
    start = end;
  }
  return pieces;
}

interface ActiveTask {
  controller: AbortController;
  record: ServedTask;
  readonly assign: TaskAssign;
  /** Waiting for an engine slot. */
  queued: boolean;
  /** Set when the coordinator took it away because this tab handed it off. */
  handedOff: boolean;
}

/**
 * Runs assigned tasks on the engine and reports them: `task:accept`, then `task:chunk`s for chat, then
 * `task:result` (signed with the tab's key for the connection's node id) or `task:error`. At most
 * `maxConcurrentTasks` run at once; an assignment beyond that is refused with a retryable error so the
 * coordinator places it elsewhere. A cancelled task reports nothing more (the coordinator already gave
 * it up).
 */
export class TaskRunner {
  readonly #options: TaskRunnerOptions;
  readonly #now: () => number;
  readonly #wallClock: () => number;
  readonly #active = new Map<TaskId, ActiveTask>();
  readonly #parallelRuns: number;
  #running = 0;
  readonly #slotWaiters: Array<() => void> = [];

  constructor(options: TaskRunnerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#wallClock = options.wallClock ?? Date.now;
    this.#parallelRuns = Math.max(1, Math.min(options.parallelRuns ?? options.maxConcurrentTasks, options.maxConcurrentTasks));
  }

  get activeTaskIds(): TaskId[] {
    return [...this.#active.keys()];
  }

  /** Held tasks, oldest first, with whether each still waits for the engine. */
  get heldTasks(): { taskId: TaskId; model: string; queued: boolean; since: number }[] {
    return [...this.#active.values()].map((task) => ({
      taskId: task.assign.taskId,
      model: task.assign.task.model,
      queued: task.queued,
      since: task.record.startedAt,
    }));
  }

  get maxConcurrentTasks(): number {
    return this.#options.maxConcurrentTasks;
  }

  /** Handles `task:assign`; resolves when the task has ended one way or another. */
  async assign(assign: TaskAssign): Promise<void> {
    const { taskId, task } = assign;
    const { sink } = this.#options;
    const record: ServedTask = {
      taskId,
      kind: task.kind,
      model: task.model,
      status: 'running',
      startedAt: this.#wallClock(),
      units: 0,
      firstTokenMs: null,
      totalMs: null,
      tokensPerSecond: null,
      error: null,
      direct: false,
    };
    if (this.#active.has(taskId)) return;
    if (this.#active.size >= this.#options.maxConcurrentTasks) {
      const message = `This tab already runs ${this.#active.size} of at most ${this.#options.maxConcurrentTasks} tasks.`;
      sink.error({ taskId, code: 'no_capacity', message, retryable: true });
      this.#update({ ...record, status: 'refused', error: message });
      return;
    }
    const nodeId = this.#options.nodeId();
    if (nodeId === null) {
      // Assignments come after worker:welcome; without a node id there is nothing to sign the result for.
      const message = 'This tab has not been welcomed on this connection yet.';
      sink.error({ taskId, code: 'internal_error', message, retryable: true });
      this.#update({ ...record, status: 'refused', error: message });
      return;
    }
    const controller = new AbortController();
    const active: ActiveTask = { controller, record, assign, queued: true, handedOff: false };
    this.#active.set(taskId, active);
    sink.accept({ taskId });
    let holdsSlot = false;
    let started = this.#now();
    try {
      this.#update({ ...record, status: 'queued' });
      await this.#takeSlot(controller.signal);
      holdsSlot = true;
      active.queued = false;
      record.startedAt = this.#wallClock();
      this.#update(record);
      await this.#options.ensureModel(task.model);
      // Timed from here: a model still loading is not the task's latency (tabs join before their loads end).
      started = this.#now();
      const result = await this.#run(assign, nodeId, controller.signal, started, record);
      if (controller.signal.aborted) throw new TesseraError('task_cancelled');
      sink.result(result);
      const totalMs = result.timings.totalMs;
      const units = result.output.kind === 'chat' ? result.usage.completionTokens : result.output.vectors.length;
      this.#update({
        ...record,
        status: 'succeeded',
        units,
        firstTokenMs: result.timings.firstTokenMs,
        totalMs,
        tokensPerSecond: result.output.kind === 'chat' && totalMs > 0 ? (units * 1000) / totalMs : null,
      });
    } catch (error) {
      const totalMs = this.#now() - started;
      if (active.handedOff) {
        this.#update({ ...record, status: 'handed-off', totalMs });
      } else if (controller.signal.aborted || isCancellation(error)) {
        this.#update({ ...record, status: 'cancelled', totalMs });
      } else {
        const wire = toWireError(error, 'inference_failed');
        sink.error({ taskId, ...wire });
        this.#update({ ...record, status: 'failed', totalMs, error: `${wire.code}: ${wire.message}` });
      }
    } finally {
      this.#active.delete(taskId);
      if (holdsSlot) this.#releaseSlot();
    }
  }

  /**
   * Handles `task:cancel`: the run stops after its current step and reports nothing more. `handedOff`:
   * the coordinator moved the task to the peer this tab offered it to.
   */
  cancel(taskId: TaskId, options: { handedOff?: boolean } = {}): void {
    const task = this.#active.get(taskId);
    if (task === undefined) return;
    if (options.handedOff === true) task.handedOff = true;
    task.controller.abort();
  }

  #takeSlot(signal: AbortSignal): Promise<void> {
    if (this.#running < this.#parallelRuns) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const index = this.#slotWaiters.indexOf(grant);
        if (index >= 0) this.#slotWaiters.splice(index, 1);
        reject(new TesseraError('task_cancelled', 'Cancelled while waiting for the engine.'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#slotWaiters.push(grant);
    });
  }

  /** Passes the slot straight to the next waiting task, so the running count stays exact. */
  #releaseSlot(): void {
    const next = this.#slotWaiters.shift();
    if (next !== undefined) next();
    else this.#running--;
  }

  /** The connection dropped: the coordinator has already put these tasks back in its queue. */
  cancelAll(): void {
    for (const task of this.#active.values()) task.controller.abort();
  }

  async #run(assign: TaskAssign, nodeId: NodeId, signal: AbortSignal, started: number, record: ServedTask): Promise<TaskResult> {
    const { taskId, task } = assign;
    const { engine, sink } = this.#options;
    const signed = async (result: Omit<TaskResult, 'signature'>): Promise<TaskResult> => {
      const bytes = resultSigningBytes({ nodeId, taskId, output: result.output, usage: result.usage });
      return { ...result, signature: await this.#options.identity.sign(bytes) };
    };
    switch (task.kind) {
      case 'chat': {
        let seq = 0;
        let firstTokenMs: number | null = null;
        const direct = this.#options.openDirectStream?.(assign) ?? null;
        let ended = false;
        try {
          const run = await engine.generate({
            task,
            signal,
            onDelta: (delta) => {
              if (signal.aborted) return;
              firstTokenMs ??= this.#now() - started;
              for (const piece of splitDelta(delta)) {
                if (direct !== null) direct.push(piece);
                else sink.chunk({ taskId, seq, delta: piece });
                seq++;
              }
              this.#update({ ...record, units: seq });
            },
          });
          if (direct !== null) {
            ended = true;
            record.direct = (await direct.end(signal.aborted ? 'abandoned' : 'complete')).direct;
          }
          return signed({ taskId, output: run.output, usage: run.usage, timings: { firstTokenMs, totalMs: this.#now() - started } });
        } finally {
          if (direct !== null && !ended) void direct.end('abandoned');
        }
      }
      case 'embeddings': {
        const run = await engine.embed({ task, signal });
        return signed({ taskId, output: run.output, usage: run.usage, timings: { firstTokenMs: null, totalMs: this.#now() - started } });
      }
      default:
        return assertNever(task, 'task kind');
    }
  }

  #update(task: ServedTask): void {
    this.#options.onUpdate?.(task);
  }
}
