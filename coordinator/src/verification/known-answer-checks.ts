import { findModel } from '@tessera/shared';
import type { ModelCatalogEntry, TaskSpec } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { PinnedOutcome } from '../tasks/open-task.ts';
import type { WorkerSession } from '../workers/worker-session.ts';

export interface KnownAnswerChecksOptions {
  catalog: readonly ModelCatalogEntry[];
  /** Runs the check on that tab through the normal task path (`Dispatcher.runPinned`). */
  runPinned: (spec: TaskSpec, session: WorkerSession) => Promise<PinnedOutcome>;
  /** Whether the tab is still connected; a check that ends after it left changes nothing. */
  isConnected: (session: WorkerSession) => boolean;
  logger: FastifyBaseLogger;
  /** Called when a model's check ends either way; the gateway then re-indexes the tab. */
  onSettled: (session: WorkerSession) => void;
}

/**
 * L2 capability: before a tab may serve a model that has a known-answer canary, it must answer the
 * canary exactly — a device that produces gibberish (out of memory, broken kernels) is refused that
 * model. The canary is submitted as a task pinned to the tab, through the same path as every task, so
 * the tab cannot tell it apart. Its timing is the tab's first measured speed.
 */
export class KnownAnswerChecks {
  readonly #options: KnownAnswerChecksOptions;

  constructor(options: KnownAnswerChecksOptions) {
    this.#options = options;
  }

  /** Starts checks for offered models that were never checked on this connection. */
  probe(session: WorkerSession): void {
    for (const id of session.offeredModels.keys()) {
      if (session.modelChecks.has(id)) continue;
      const canary = findModel(this.#options.catalog, id)?.canary ?? null;
      // Guards only re-score others' work, and a model without a canary has nothing to check against.
      if (session.role !== 'worker' || canary === null) {
        session.modelChecks.set(id, 'passed');
        continue;
      }
      session.modelChecks.set(id, 'pending');
      const spec: TaskSpec = {
        kind: 'chat',
        model: id,
        messages: [{ role: 'user', content: canary.prompt }],
        params: { maxTokens: canary.maxTokens, temperature: 0, topP: 1, seed: null, stop: [] },
      };
      void this.#options.runPinned(spec, session).then((outcome) => this.#settle(session, id, canary.expectedCompletion, outcome));
    }
  }

  #settle(session: WorkerSession, modelId: string, expected: string, outcome: PinnedOutcome): void {
    if (!this.#options.isConnected(session)) return;
    let why: string;
    let passed = false;
    if (!outcome.ok) {
      why = outcome.error.code === 'lease_expired' ? 'gave no answer within the lease' : `failed it: ${outcome.error.message}`;
    } else {
      const text = outcome.result.output.kind === 'chat' ? outcome.result.output.text : null;
      passed = text === expected;
      why = passed ? 'answered the known-answer check' : `answered ${JSON.stringify(text?.slice(0, 80))} instead of the known answer`;
      const seconds = outcome.elapsedMs / 1000;
      if (passed && outcome.result.usage.completionTokens > 0 && seconds > 0)
        session.tokensPerSecond ??= outcome.result.usage.completionTokens / seconds;
    }
    session.modelChecks.set(modelId, passed ? 'passed' : 'refused');
    if (passed) session.completedTasks++;
    else session.failedTasks++;
    const log = { nodeId: session.nodeId, key: session.key.fingerprint, model: modelId };
    if (passed) this.#options.logger.info(log, `tab ${why}`);
    else this.#options.logger.warn(log, `model refused for this tab: it ${why}`);
    this.#options.onSettled(session);
  }
}
