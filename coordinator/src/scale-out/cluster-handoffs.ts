import { findModel, type ClusterHandoffAsk, type ModelCatalogEntry, type NodeId, type TaskId, type Tier } from '@tessera/shared';
import type { ClusterChannel } from '../cluster/cluster-channel.ts';
import type { Startable } from '../lifecycle/startable.ts';
import { handoffRefusal } from '../placement/eligibility.ts';
import { placementCandidate } from '../placement/placement-candidate.ts';
import type { Dispatcher } from '../tasks/dispatcher.ts';
import type { HandoffsElsewhere } from '../tasks/handoffs-elsewhere.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { TaskStore } from '../tasks/task-store.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { SharedQueue } from './shared-queue.ts';

export interface ClusterHandoffsOptions {
  instanceId: string;
  channel: ClusterChannel;
  registry: WorkerRegistry;
  catalog: readonly ModelCatalogEntry[];
  store: TaskStore;
  queue: SharedQueue;
  dispatcher: () => Pick<Dispatcher, 'adopt'>;
  peers: { introduced(a: NodeId, b: NodeId): boolean };
  tierOf: (session: WorkerSession) => Tier;
  /** How long an asked instance has to answer before the hand-off is declined. */
  answerTimeoutMs?: number;
}

interface Pending {
  resolve: (refusal: string | null) => void;
  timer: NodeJS.Timeout;
  /** The instance that said yes: it will own the task. */
  instance: string | undefined;
}

/**
 * Hand-offs between tabs on different instances (scale-out). The instance holding the task checks what it
 * can (not a check, introduced, not failed by the peer) and asks, over the cluster channel, whichever
 * instance holds the peer; that one checks the peer as it would its own (`handoffRefusal`: connected, may
 * work the model at the asked standing) and answers. On yes, the lease moves to the peer and the task's
 * ownership to the peer's instance (conditional writes), then the peer's instance opens the task and gives
 * it to the peer. A task whose message is lost (its sender died) is found by its new owner's orphan sweep
 * (`ScaleOut`) and goes back to the queue: nothing is lost, and a refusal or no answer changes nothing.
 */
export class ClusterHandoffs implements HandoffsElsewhere, Startable {
  readonly #options: ClusterHandoffsOptions;
  readonly #pending = new Map<string, Pending>();
  /** Tasks that moved, with the instance that took them, until `moved` announces them. */
  readonly #accepted = new Map<string, string>();
  #unlisten: (() => void) | undefined;

  constructor(options: ClusterHandoffsOptions) {
    this.#options = options;
  }

  start(): void {
    const { channel, instanceId } = this.#options;
    this.#unlisten = channel.listen((message, from) => {
      switch (message.event) {
        case 'handoff:ask':
          this.#answer(message.payload, from);
          return;
        case 'handoff:answer': {
          if (message.payload.to !== instanceId) return;
          const pending = this.#pending.get(message.payload.requestId);
          if (pending !== undefined) pending.instance = from;
          this.#settle(message.payload.requestId, message.payload.refusal);
          return;
        }
        case 'handoff:moved':
          if (message.payload.to === instanceId) this.#take(message.payload.taskId, message.payload.target, message.payload.directTo);
          return;
        default:
          return;
      }
    });
  }

  stop(): void {
    this.#unlisten?.();
    for (const requestId of [...this.#pending.keys()]) this.#settle(requestId, 'the coordinator is shutting down');
  }

  ask(record: TaskRecord, from: NodeId, to: NodeId): Promise<string | null> {
    const requestId = crypto.randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#settle(requestId, `tab ${to} is not connected`), this.#options.answerTimeoutMs ?? 1000);
      timer.unref();
      this.#pending.set(requestId, {
        timer,
        instance: undefined,
        resolve: (refusal) => {
          const instance = this.#pending.get(requestId)?.instance;
          if (refusal === null && instance !== undefined) this.#accepted.set(record.id, instance);
          resolve(refusal === null && instance === undefined ? `tab ${to} is not connected` : refusal);
        },
      });
      // Nobody here knows which instance holds the peer: every instance hears the ask, the one holding it answers.
      void this.#options.channel.publish({
        event: 'handoff:ask',
        payload: { requestId, taskId: record.id, from, target: to, model: record.spec.model, minTier: record.minTier },
      });
    });
  }

  moved(record: TaskRecord, to: NodeId, directTo: NodeId | null): void {
    const instance = this.#accepted.get(record.id);
    this.#accepted.delete(record.id);
    if (instance === undefined) return;
    // If this fails (the leader took the task over meanwhile) the task is back in the queue: nothing to announce.
    if (!this.#options.queue.transfer(record.id, this.#options.instanceId, instance)) return;
    void this.#options.channel.publish({ event: 'handoff:moved', payload: { to: instance, taskId: record.id, target: to, directTo } });
  }

  #answer(ask: ClusterHandoffAsk, from: string): void {
    const session = this.#options.registry.get(ask.target);
    // Only the instance holding the peer answers; the others stay silent.
    if (session === undefined) return;
    const model = findModel(this.#options.catalog, ask.model);
    const refusal =
      model === undefined
        ? `model ${ask.model} is not served here`
        : handoffRefusal({
            pinned: false,
            introduced: this.#options.peers.introduced(ask.target, ask.from),
            to: ask.target,
            target: placementCandidate(session, this.#options.tierOf(session)),
            failedOn: new Set(),
            model,
            minTier: ask.minTier,
          });
    void this.#options.channel.publish({
      event: 'handoff:answer',
      payload: { requestId: ask.requestId, to: from, refusal: refusal === undefined ? null : refusal.slice(0, 500) },
    });
  }

  /** A task handed to a tab here: opened and given to it, if the record says it is the tab's and the tab is still here. */
  #take(taskId: TaskId, target: NodeId, directTo: NodeId | null): void {
    const record = this.#options.store.get(taskId);
    const session = this.#options.registry.get(target);
    if (record?.status !== 'assigned' || record.nodeId !== target || session === undefined) return;
    this.#options.dispatcher().adopt(record, session, directTo);
  }

  #settle(requestId: string, refusal: string | null): void {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    pending.resolve(refusal);
    this.#pending.delete(requestId);
  }
}
