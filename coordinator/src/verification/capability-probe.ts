import { findModel, newTaskId, resultSigningBytes } from '@tessera/shared';
import type { ModelCatalogEntry, TaskError, TaskId, TaskResult } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { WorkerSession } from '../workers/worker-session.ts';

interface PendingProbe {
  session: WorkerSession;
  modelId: string;
  expected: string;
  startedAt: number;
  timer: NodeJS.Timeout;
}

export interface CapabilityProbeOptions {
  catalog: readonly ModelCatalogEntry[];
  leaseMs: number;
  logger: FastifyBaseLogger;
  /** Called when a model's check ends either way; the gateway then re-indexes the tab. */
  onSettled: (session: WorkerSession) => void;
  now?: () => number;
}

/**
 * L2 capability: before a tab may serve a model that has a known-answer canary, it must answer the
 * canary exactly — a device that produces gibberish (out of memory, broken kernels) is refused that
 * model. The canary travels as an ordinary `task:assign`, so the tab cannot tell it apart. Its timing is
 * the tab's first measured speed.
 */
export class CapabilityProbe {
  readonly #options: CapabilityProbeOptions;
  readonly #now: () => number;
  readonly #pending = new Map<TaskId, PendingProbe>();

  constructor(options: CapabilityProbeOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Starts checks for offered models that were never checked on this connection. */
  probe(session: WorkerSession): void {
    if (session.role !== 'worker') {
      for (const id of session.offeredModels.keys()) if (!session.modelChecks.has(id)) session.modelChecks.set(id, 'passed');
      return;
    }
    for (const id of session.offeredModels.keys()) {
      if (session.modelChecks.has(id)) continue;
      const model = findModel(this.#options.catalog, id);
      const canary = model?.canary;
      if (model === undefined || canary === null || canary === undefined) {
        session.modelChecks.set(id, 'passed');
        continue;
      }
      session.modelChecks.set(id, 'pending');
      const taskId = newTaskId();
      const timer = setTimeout(() => this.#settle(taskId, false, 'gave no answer within the lease', true), this.#options.leaseMs);
      timer.unref();
      this.#pending.set(taskId, { session, modelId: id, expected: canary.expectedCompletion, startedAt: this.#now(), timer });
      session.activeTasks.add(taskId);
      session.channel.send({
        event: 'task:assign',
        payload: {
          taskId,
          leaseMs: this.#options.leaseMs,
          attempt: 1,
          task: { kind: 'chat', model: id, messages: [{ role: 'user', content: canary.prompt }], params: { maxTokens: canary.maxTokens, temperature: 0, topP: 1, seed: null, stop: [] } },
        },
      });
    }
  }

  owns(taskId: TaskId): boolean {
    return this.#pending.has(taskId);
  }

  /** A result for a canary; returns false when the signature does not verify. */
  result(session: WorkerSession, result: TaskResult): boolean {
    const probe = this.#pending.get(result.taskId);
    if (probe === undefined || probe.session !== session) return true;
    if (!session.key.verify(resultSigningBytes({ nodeId: session.nodeId, taskId: result.taskId, output: result.output, usage: result.usage }), result.signature)) return false;
    const text = result.output.kind === 'chat' ? result.output.text : null;
    if (text === probe.expected) {
      const seconds = (this.#now() - probe.startedAt) / 1000;
      if (result.usage.completionTokens > 0 && seconds > 0) session.tokensPerSecond ??= result.usage.completionTokens / seconds;
      this.#settle(result.taskId, true, 'answered the known-answer check');
    } else {
      this.#settle(result.taskId, false, `answered ${JSON.stringify(text?.slice(0, 80))} instead of the known answer`);
    }
    return true;
  }

  error(session: WorkerSession, error: TaskError): void {
    const probe = this.#pending.get(error.taskId);
    if (probe !== undefined && probe.session === session) this.#settle(error.taskId, false, `failed it: ${error.message}`);
  }

  /** The tab left: its checks end with it. */
  forget(session: WorkerSession): void {
    for (const [taskId, probe] of this.#pending) {
      if (probe.session === session) {
        clearTimeout(probe.timer);
        this.#pending.delete(taskId);
      }
    }
  }

  #settle(taskId: TaskId, passed: boolean, why: string, cancelOnTab = false): void {
    const probe = this.#pending.get(taskId);
    if (probe === undefined) return;
    clearTimeout(probe.timer);
    this.#pending.delete(taskId);
    const { session, modelId } = probe;
    session.activeTasks.delete(taskId);
    session.modelChecks.set(modelId, passed ? 'passed' : 'refused');
    if (passed) session.completedTasks++;
    else session.failedTasks++;
    const log = { nodeId: session.nodeId, key: session.key.fingerprint, model: modelId };
    if (passed) this.#options.logger.info(log, `tab ${why}`);
    else this.#options.logger.warn(log, `model refused for this tab: it ${why}`);
    if (cancelOnTab) session.channel.send({ event: 'task:cancel', payload: { taskId, reason: 'lease expired' } });
    this.#options.onSettled(session);
  }
}
