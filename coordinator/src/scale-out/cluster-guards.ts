import type { FastifyBaseLogger } from 'fastify';
import type { ClusterChannel } from '../cluster/cluster-channel.ts';
import type { Startable } from '../lifecycle/startable.ts';
import type { CheckOutcome } from '../verification/check-outcome.ts';
import { pickWeighted } from '../verification/pick-weighted.ts';
import type { CheckRequest, GuardsElsewhere, Verifier } from '../verification/verifier.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';

export interface ClusterGuardsOptions {
  instanceId: string;
  channel: ClusterChannel;
  registry: WorkerRegistry;
  /** The verifier here: it runs the checks other instances ask for with the guards connected here. */
  verifier: () => Verifier;
  /** How long an asked instance has before the result is delivered unverified (the verifier's own limit). */
  checkTimeoutMs: number;
  logger: FastifyBaseLogger;
  /** How often this instance tells the others what its guards could check. */
  advertiseMs?: number;
  now?: () => number;
  random?: () => number;
}

interface Advertised {
  freeByModel: Record<string, number>;
  at: number;
}

/**
 * Guards across instances (scale-out). Each instance tells the others, every second, for which models its
 * guards have free check slots. When no guard here may check a result, the verifier asks an instance that
 * has one (drawn at random, weighted by its free slots) to run the whole check with its guards, under
 * the same rules as here (random draw by standing, never the worker's network or related keys, two
 * confirmations for a newcomer); the verdict's consequences for reputation are written there, on the
 * shared database, and the outcome comes back to decide the result here. A request that goes unanswered
 * ends unverified, as a check with no guard does.
 */
export class ClusterGuards implements GuardsElsewhere, Startable {
  readonly #options: ClusterGuardsOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #advertised = new Map<string, Advertised>();
  readonly #pending = new Map<string, { resolve: (outcome: CheckOutcome) => void; timer: NodeJS.Timeout }>();
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => void) | undefined;

  constructor(options: ClusterGuardsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  start(): void {
    const { channel, instanceId } = this.#options;
    this.#unlisten = channel.listen((message, from) => {
      switch (message.event) {
        case 'guards:free':
          this.#advertised.set(from, { freeByModel: message.payload.freeByModel, at: this.#now() });
          return;
        case 'check:request':
          if (message.payload.to === instanceId) this.#serve(message.payload, from);
          return;
        case 'check:outcome':
          if (message.payload.to === instanceId) this.#settle(message.payload.requestId, message.payload);
          return;
        default:
          return;
      }
    });
    this.#timer = setInterval(() => this.#advertise(), this.#options.advertiseMs ?? 1000);
    this.#timer.unref();
    this.#advertise();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unlisten?.();
    for (const requestId of [...this.#pending.keys()])
      this.#settle(requestId, { verdict: 'unverified', reason: 'the coordinator is shutting down' });
  }

  couldCheck(model: string): boolean {
    return this.#offering(model).length > 0;
  }

  check(request: CheckRequest): Promise<CheckOutcome> {
    const offers = this.#offering(request.spec.model);
    const to = pickWeighted(offers, (offer) => offer.weight, this.#random)?.instance;
    if (to === undefined) return Promise.resolve({ verdict: 'unverified', reason: `no guard left to check ${request.spec.model}` });
    const requestId = crypto.randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.#settle(requestId, { verdict: 'unverified', reason: 'no guard answered in time' }),
        this.#options.checkTimeoutMs,
      );
      timer.unref();
      this.#pending.set(requestId, { resolve, timer });
      const { spec, claim, workerKey, workerNetwork, minTier } = request;
      void this.#options.channel.publish({
        event: 'check:request',
        payload: { requestId, to, spec, claim, workerKey, workerNetwork, minTier },
      });
    });
  }

  /** Instances other than this one whose guards could take a check of `model` now, with their free slots. */
  #offering(model: string): Array<{ instance: string; weight: number }> {
    const fresh = this.#now() - 3 * (this.#options.advertiseMs ?? 1000);
    const offers: Array<{ instance: string; weight: number }> = [];
    for (const [instance, advertised] of this.#advertised) {
      if (advertised.at < fresh) this.#advertised.delete(instance);
      else if ((advertised.freeByModel[model] ?? 0) > 0) offers.push({ instance, weight: advertised.freeByModel[model] ?? 0 });
    }
    return offers;
  }

  #advertise(): void {
    const freeByModel: Record<string, number> = {};
    for (const session of this.#options.registry.all()) {
      if (session.role !== 'guard') continue;
      const free = session.capabilities.maxConcurrentTasks - session.activeJobs.size;
      if (free <= 0) continue;
      for (const [model, offered] of session.models) if (offered.state === 'loaded') freeByModel[model] = (freeByModel[model] ?? 0) + free;
    }
    void this.#options.channel.publish({ event: 'guards:free', payload: { freeByModel } });
  }

  #serve(request: CheckRequest & { requestId: string }, from: string): void {
    const { requestId, ...check } = request;
    void this.#options
      .verifier()
      .checkFor(check, false)
      .then((outcome) =>
        this.#options.channel.publish({
          event: 'check:outcome',
          payload: { requestId, to: from, verdict: outcome.verdict, reason: outcome.reason.slice(0, 2000) },
        }),
      )
      .catch((error: unknown) => this.#options.logger.error({ err: error, requestId }, 'a check asked by another instance failed'));
  }

  #settle(requestId: string, outcome: CheckOutcome): void {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return;
    this.#pending.delete(requestId);
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }
}
