import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { WorkerSession } from '../workers/worker-session.ts';

export interface FailurePolicy {
  /** Attempts per tab and model that are remembered (a sliding window). */
  window: number;
  /** Failures within the window before a tab can be moved off a model at all. */
  minFailures: number;
  /** The tab's failure rate on the model at which it is moved off it… */
  maxRate: number;
  /** …provided it fails this many times more often than the other tabs on that model… */
  overPeers: number;
  /** …of whom at least this many recent attempts are known: without peers, nobody is blamed. */
  minPeerAttempts: number;
}

/**
 * Defaults: a tab that failed at least 4 of its last 10 attempts on a model, at 50% or more and three
 * times the network's rate on that model, stops getting it. An honest device that truly runs out of
 * memory on a big model is moved off that model (not banned: its other models and its tier stay); a
 * saboteur that fails every task loses the model after 4, its callers' tasks having gone elsewhere.
 * A model that fails everywhere (a broken model), or a tab alone on a model, blames nobody.
 */
export const DEFAULT_FAILURE_POLICY: FailurePolicy = { window: 10, minFailures: 4, maxRate: 0.5, overPeers: 3, minPeerAttempts: 4 };

/** What a window of outcomes says, as the pure rule sees it. */
export interface FailureCounts {
  tabFailures: number;
  tabAttempts: number;
  /** Recent outcomes of the other tabs on the same model. */
  peerFailures: number;
  peerAttempts: number;
}

/** Whether a tab should stop getting a model, from its own and the network's recent outcomes. */
export function failsTooOften(counts: FailureCounts, policy: FailurePolicy = DEFAULT_FAILURE_POLICY): boolean {
  if (counts.tabFailures < policy.minFailures || counts.peerAttempts < policy.minPeerAttempts) return false;
  const tabRate = counts.tabFailures / counts.tabAttempts;
  const peerRate = counts.peerFailures / counts.peerAttempts;
  return tabRate >= policy.maxRate && tabRate >= policy.overPeers * peerRate;
}

/** The last outcomes, oldest first: who (a connection) and whether it failed. */
class OutcomeWindow {
  readonly #size: number;
  readonly #outcomes: { who: WorkerSession; failed: boolean }[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  push(who: WorkerSession, failed: boolean): void {
    this.#outcomes.push({ who, failed });
    if (this.#outcomes.length > this.#size) this.#outcomes.shift();
  }

  /** Failures and attempts of `who`, or of everyone else with `others`. */
  count(who: WorkerSession, others: boolean): { failures: number; attempts: number } {
    let failures = 0;
    let attempts = 0;
    for (const outcome of this.#outcomes) {
      if ((outcome.who === who) === others) continue;
      attempts++;
      if (outcome.failed) failures++;
    }
    return { failures, attempts };
  }
}

/**
 * Failing is not free: follows every attempt's outcome per connection and model, and per model across
 * the network, and moves a tab that fails far more than its peers off that model (its known-answer state
 * for the model becomes `refused` for this connection). Outcomes of the tab's own doing only: a lost
 * connection or an expired lease is not a failure it reported.
 */
export function watchFailures(options: {
  events: CoordinatorEventBus;
  /** The tab's offer changed: placement must look again (the gateway's `reindex`). */
  reindex: (session: WorkerSession) => void;
  logger: FastifyBaseLogger;
  policy?: FailurePolicy;
}): void {
  const policy = options.policy ?? DEFAULT_FAILURE_POLICY;
  const tabs = new WeakMap<WorkerSession, Map<string, OutcomeWindow>>();
  // The network's window is wider: it is the yardstick, and should not swing with one tab.
  const models = new Map<string, OutcomeWindow>();
  const windowIn = <Key>(
    map: { get(key: Key): OutcomeWindow | undefined; set(key: Key, value: OutcomeWindow): unknown },
    key: Key,
    size: number,
  ) => {
    const known = map.get(key);
    if (known !== undefined) return known;
    const created = new OutcomeWindow(size);
    map.set(key, created);
    return created;
  };
  const record = (worker: WorkerSession, model: string, failed: boolean): void => {
    let own = tabs.get(worker);
    if (own === undefined) {
      own = new Map();
      tabs.set(worker, own);
    }
    const tab = windowIn(own, model, policy.window);
    const network = windowIn(models, model, policy.window * 10);
    tab.push(worker, failed);
    network.push(worker, failed);
    if (!failed || worker.modelChecks.get(model) === 'refused') return;
    const mine = tab.count(worker, false);
    const peers = network.count(worker, true);
    const counts = { tabFailures: mine.failures, tabAttempts: mine.attempts, peerFailures: peers.failures, peerAttempts: peers.attempts };
    if (!failsTooOften(counts, policy)) return;
    worker.modelChecks.set(model, 'refused');
    options.logger.warn(
      { nodeId: worker.nodeId, key: worker.key.fingerprint, model, failures: mine.failures, attempts: mine.attempts },
      `tab moved off ${model}: it failed ${mine.failures} of its last ${mine.attempts} tasks, far more than its peers`,
    );
    options.reindex(worker);
  };
  options.events.on('task:succeeded', ({ record: task, worker }) => record(worker, task.spec.model, false));
  options.events.on('task:attempt-failed', ({ record: task, worker, byTab: tabsDoing }) => {
    if (worker !== undefined && tabsDoing) record(worker, task.spec.model, true);
  });
}
