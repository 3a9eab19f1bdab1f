import { findModel, judgeKnownAnswer, knownAnswerBudgets, knownAnswerSpec, knownAnswersFor } from '@tessera/shared';
import type { KnownAnswer, ModelCatalogEntry, TaskSpec } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { Startable } from '../lifecycle/startable.ts';
import type { KnownAnswerTrigger, ModelTrustMetrics } from '../models/model-trust-metrics.ts';
import type { PinnedOutcome } from '../tasks/open-task.ts';
import type { WorkerSession } from '../workers/worker-session.ts';

export interface KnownAnswerChecksOptions {
  catalog: readonly ModelCatalogEntry[];
  /** The known answers of a model (`CanaryBook`): the catalog's reference ones, or recorded ones. */
  answers: (modelId: string) => readonly KnownAnswer[];
  /** Runs the check on that tab through the normal task path (`Dispatcher.runPinned`). */
  runPinned: (spec: TaskSpec, session: WorkerSession) => Promise<PinnedOutcome>;
  /** Whether the tab is still connected; a check that ends after it left changes nothing. */
  isConnected: (session: WorkerSession) => boolean;
  /** Whether the tab's model must wait before its first check (its files are not attested yet, `HashPins.awaits`). */
  waits?: (session: WorkerSession, modelId: string) => boolean;
  /** A failed repeat check is a caught result: told here as `verify:checked` invalid, so reputation and escrow follow. */
  events: CoordinatorEventBus;
  /** Mean time between repeat checks of each model a tab serves (exponential, so no tab can tell when); 0: join only. */
  repeatMeanMs: number;
  logger: FastifyBaseLogger;
  metrics?: ModelTrustMetrics;
  /** Called when a model's check ends either way; the gateway then re-indexes the tab. */
  onSettled: (session: WorkerSession) => void;
  /** Uniform in [0, 1); unpredictable by default, since a tab must not guess which task is a check or when. */
  random?: () => number;
}

/** Repeat checks that end without an answer (errors, missed leases) before the model is refused anyway. */
const MAX_INCONCLUSIVE = 3;
/** How soon a join check that found the tab full, or was turned away by it as busy, looks again. */
const BUSY_RETRY_MS = 250;
/** Busy answers to one model's join check before it is refused: a tab that is never free serves nothing new. */
const MAX_BUSY = 40;

function cryptoRandom(): number {
  return randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
}

interface ModelCheckState {
  /** Index of the known answer asked last, so the next one differs (rotation). */
  lastAsked: number | null;
  inconclusive: number;
  /** Times the join check found no free slot on the tab or was refused by it as busy. */
  busy: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * L2 capability, on join and again at random times while a tab serves: the tab must give a known answer
 * of the model — a device that produces gibberish (out of memory, broken kernels) or a tab that stopped
 * running the real model is refused that model. Each check asks one of the model's known answers, never
 * the one asked last, with a token budget varied as real traffic varies it; it is submitted as a task
 * pinned to the tab, through the same path as every task, so the tab cannot tell it apart. A wrong answer
 * on join only refuses the model; a wrong answer later is also a caught result (`verify:checked` invalid).
 * The join check's timing is the tab's first measured speed. A model with no known answer yet is served
 * unchecked, and checked by the repeats once the `CanaryBook` recorded one.
 */
export class KnownAnswerChecks implements Startable {
  readonly #options: KnownAnswerChecksOptions;
  readonly #random: () => number;
  readonly #states = new WeakMap<WorkerSession, Map<string, ModelCheckState>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Tabs whose unchecked models wait for a free slot, each with the one timer that probes it again. */
  readonly #waitingForSlot = new WeakMap<WorkerSession, NodeJS.Timeout>();

  constructor(options: KnownAnswerChecksOptions) {
    this.#options = options;
    this.#random = options.random ?? cryptoRandom;
  }

  start(): void {}

  /** Stops the repeat checks' timers; checks in flight end with their tasks. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /**
   * Starts checks for offered models that were never checked on this connection, each in a free slot of
   * the tab: a check sent to a full tab is turned away as busy, which says nothing about the model.
   */
  probe(session: WorkerSession): void {
    for (const id of session.offeredModels.keys()) {
      if (session.modelChecks.has(id) || this.#options.waits?.(session, id) === true) continue;
      // Guards only re-score others' work.
      if (session.role !== 'worker') {
        session.modelChecks.set(id, 'passed');
        continue;
      }
      if (this.#answers(session, id).length === 0) {
        session.modelChecks.set(id, 'passed');
        this.#scheduleRepeat(session, id);
        continue;
      }
      if (session.activeTasks.size >= session.capabilities.maxConcurrentTasks) {
        this.#probeLater(session);
        return;
      }
      session.modelChecks.set(id, 'pending');
      this.#run(session, id, 'join');
    }
  }

  #probeLater(session: WorkerSession): void {
    if (this.#waitingForSlot.has(session)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#waitingForSlot.delete(session);
      if (this.#options.isConnected(session)) this.probe(session);
    }, BUSY_RETRY_MS);
    timer.unref();
    this.#timers.add(timer);
    this.#waitingForSlot.set(session, timer);
  }

  /** The model's known answers that hold for the weights this tab loads on its backend. */
  #answers(session: WorkerSession, modelId: string): readonly KnownAnswer[] {
    const backend = session.offeredModels.get(modelId)?.backend;
    const dtype = backend === undefined ? undefined : findModel(this.#options.catalog, modelId)?.dtype[backend];
    return knownAnswersFor(this.#options.answers(modelId), dtype);
  }

  #state(session: WorkerSession, modelId: string): ModelCheckState {
    let models = this.#states.get(session);
    if (models === undefined) {
      models = new Map();
      this.#states.set(session, models);
    }
    let state = models.get(modelId);
    if (state === undefined) {
      state = { lastAsked: null, inconclusive: 0, busy: 0, timer: undefined };
      models.set(modelId, state);
    }
    return state;
  }

  /** Asks one known answer, not the one asked last; false when the model has none. */
  #run(session: WorkerSession, modelId: string, trigger: KnownAnswerTrigger): boolean {
    const answers = this.#answers(session, modelId);
    if (answers.length === 0) return false;
    const state = this.#state(session, modelId);
    const choices = answers.map((_, index) => index).filter((index) => answers.length === 1 || index !== state.lastAsked);
    const index = choices[Math.min(choices.length - 1, Math.floor(this.#random() * choices.length))] ?? 0;
    const answer = answers[index];
    if (answer === undefined) return false;
    state.lastAsked = index;
    let maxTokens: number | undefined;
    if (answer.kind === 'chat') {
      const budgets = knownAnswerBudgets(answer, findModel(this.#options.catalog, modelId)?.contextLength ?? answer.maxTokens);
      maxTokens = budgets.min + Math.min(budgets.max - budgets.min, Math.floor(this.#random() * (budgets.max - budgets.min + 1)));
    }
    void this.#options
      .runPinned(knownAnswerSpec(modelId, answer, maxTokens), session)
      .then((outcome) => this.#settle(session, modelId, trigger, index, answer, outcome));
    return true;
  }

  #settle(
    session: WorkerSession,
    modelId: string,
    trigger: KnownAnswerTrigger,
    index: number,
    answer: KnownAnswer,
    outcome: PinnedOutcome,
  ): void {
    if (!this.#options.isConnected(session)) return;
    const state = this.#state(session, modelId);
    const log = { nodeId: session.nodeId, key: session.key.fingerprint, model: modelId, trigger, answer: index };
    // Refused meanwhile (its files differ from a pin): nothing this check says brings the model back.
    if (session.modelChecks.get(modelId) === 'refused') return;
    if (!outcome.ok && outcome.error.code === 'no_capacity' && trigger === 'join' && ++state.busy < MAX_BUSY) {
      // The tab was busy: the model stays unchecked (so unserved) and the next probe asks again.
      session.modelChecks.delete(modelId);
      this.#probeLater(session);
      return;
    }
    if (!outcome.ok) {
      const why = outcome.error.code === 'lease_expired' ? 'gave no answer within the lease' : `failed it: ${outcome.error.message}`;
      this.#options.metrics?.knownAnswerCheck(modelId, trigger, 'inconclusive', index);
      state.inconclusive++;
      if (trigger === 'repeat' && state.inconclusive < MAX_INCONCLUSIVE) {
        this.#options.logger.info(log, `tab ${why} on a repeated known-answer check; asking again later`);
        this.#scheduleRepeat(session, modelId);
        return;
      }
      this.#refuse(session, modelId, log, `it ${why}`);
      return;
    }
    const judgement = judgeKnownAnswer(answer, outcome.result.output);
    this.#options.metrics?.knownAnswerCheck(modelId, trigger, judgement.ok ? 'passed' : 'failed', index);
    if (!judgement.ok) {
      if (trigger === 'repeat') {
        const reason = `a repeated known-answer check of ${modelId}: it ${judgement.reason}`;
        this.#options.events.emit('verify:checked', { workerKey: session.key.publicKey, verdict: 'invalid', reason });
      }
      this.#refuse(session, modelId, log, `it ${judgement.reason}`);
      return;
    }
    state.inconclusive = 0;
    const seconds = outcome.elapsedMs / 1000;
    if (trigger === 'join' && outcome.result.usage.completionTokens > 0 && seconds > 0)
      session.tokensPerSecond ??= outcome.result.usage.completionTokens / seconds;
    const first = session.modelChecks.get(modelId) !== 'passed';
    session.modelChecks.set(modelId, 'passed');
    session.completedTasks++;
    // The join check is news; the repeats, at random times while a tab serves, are routine.
    this.#options.logger[trigger === 'join' ? 'info' : 'debug'](log, `tab answered the known-answer check (${trigger})`);
    this.#scheduleRepeat(session, modelId);
    if (first) this.#options.onSettled(session);
  }

  #refuse(session: WorkerSession, modelId: string, log: Record<string, unknown>, why: string): void {
    session.modelChecks.set(modelId, 'refused');
    session.failedTasks++;
    this.#options.logger.warn(log, `model refused for this tab: ${why}`);
    this.#options.onSettled(session);
  }

  /** The next repeat check, after an exponential wait: a memoryless schedule gives a tab no safe moment to cheat. */
  #scheduleRepeat(session: WorkerSession, modelId: string): void {
    const mean = this.#options.repeatMeanMs;
    if (mean <= 0) return;
    const state = this.#state(session, modelId);
    if (state.timer !== undefined) return;
    const delayMs = Math.min(2 ** 31 - 1, Math.max(1, -mean * Math.log(1 - this.#random())));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      state.timer = undefined;
      if (!this.#options.isConnected(session) || session.modelChecks.get(modelId) !== 'passed') return;
      // Not offered now, no free slot (traffic only goes to a tab with one: a check to a full tab would be
      // refused, and would stand out), or nothing to ask yet: look again later.
      const full = session.activeTasks.size >= session.capabilities.maxConcurrentTasks;
      if (full || !session.offeredModels.has(modelId) || !this.#run(session, modelId, 'repeat')) this.#scheduleRepeat(session, modelId);
    }, delayMs);
    timer.unref();
    state.timer = timer;
    this.#timers.add(timer);
  }
}
