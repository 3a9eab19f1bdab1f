import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import { decodeSpeed } from './decode-speed.ts';

export interface BehaviourPolicy {
  /** Results of a key before its behaviour is known well enough to notice a change. */
  minSamples: number;
  /** How far (in standard deviations of its own history) a result must lie to count as a change. */
  zThreshold: number;
  /** Results for which the check probability stays raised after a change. */
  watchResults: number;
  /** The raised probability. */
  watchedFloor: number;
  /** Weight of a new result in the running mean and variance. */
  weight: number;
}

export const DEFAULT_BEHAVIOUR_POLICY: BehaviourPolicy = {
  minSamples: 10,
  zThreshold: 4,
  watchResults: 20,
  watchedFloor: 0.5,
  weight: 0.1,
};

/**
 * The least spread a history is taken to have. Values are on a log scale (`BehaviourWatch.observe`), so 0.1
 * is about a tenth either way: a change by half again stands out (z > 4), 10 % of jitter does not.
 */
const MIN_SPREAD = 0.1;

/** A running mean and variance (exponentially weighted), and how unusual a new value is against them. */
export class RunningStats {
  #mean = 0;
  #variance = 0;
  #count = 0;

  constructor(private readonly weight: number) {}

  get count(): number {
    return this.#count;
  }

  /**
   * |value − mean| in standard deviations, before `value` joins the history. The deviation counts as at
   * least `MIN_SPREAD`: a history with no spread (every answer at `max_tokens`) still notices a change, and
   * timing jitter around a steady speed is not taken for one.
   */
  zOf(value: number): number {
    if (this.#count === 0) return 0;
    return Math.abs(value - this.#mean) / Math.max(Math.sqrt(this.#variance), MIN_SPREAD);
  }

  push(value: number): void {
    this.#count++;
    if (this.#count === 1) {
      this.#mean = value;
      return;
    }
    const difference = value - this.#mean;
    this.#mean += this.weight * difference;
    this.#variance = (1 - this.weight) * (this.#variance + this.weight * difference * difference);
  }
}

/**
 * A tab that behaves unlike itself — its decode speed or its answers' length (by the coordinator's own
 * clock and count) suddenly far from its own history — gets its results checked more often for a while:
 * a patient cheater that switches to cheap lies changes exactly these. Keyed by tab key, in memory.
 */
export class BehaviourWatch {
  readonly #policy: BehaviourPolicy;
  readonly #logger: FastifyBaseLogger;
  readonly #keys = new Map<string, { speed: RunningStats; length: RunningStats; watchedFor: number }>();

  constructor(options: { events: CoordinatorEventBus; logger: FastifyBaseLogger; policy?: BehaviourPolicy }) {
    this.#policy = options.policy ?? DEFAULT_BEHAVIOUR_POLICY;
    this.#logger = options.logger;
    options.events.on('task:succeeded', ({ result, worker }) => {
      const speed = decodeSpeed(result);
      if (speed !== null) this.observe(worker.key.publicKey, result.usage.completionTokens, speed);
    });
  }

  /** One result's completion tokens and decode speed; logs and raises the key's floor on a change. */
  observe(publicKey: string, completionTokens: number, tokensPerSecond: number): void {
    const policy = this.#policy;
    let key = this.#keys.get(publicKey);
    if (key === undefined) {
      key = { speed: new RunningStats(policy.weight), length: new RunningStats(policy.weight), watchedFor: 0 };
      this.#keys.set(publicKey, key);
    }
    // On a log scale: answers and speeds vary by factors, and a change is a change of factor.
    const speed = Math.log1p(tokensPerSecond);
    const length = Math.log1p(completionTokens);
    if (key.watchedFor > 0) key.watchedFor--;
    if (key.speed.count >= policy.minSamples) {
      const z = Math.max(key.speed.zOf(speed), key.length.zOf(length));
      if (z > policy.zThreshold) {
        if (key.watchedFor === 0)
          this.#logger.info({ key: publicKey.slice(0, 12), z: Number(z.toFixed(1)) }, 'tab behaves unlike itself: checking it more often');
        key.watchedFor = policy.watchResults;
      }
    }
    key.speed.push(speed);
    key.length.push(length);
  }

  /** The least check probability the key's recent behaviour calls for: 0, or `watchedFloor` while watched. */
  raisedFloor(publicKey: string): number {
    return (this.#keys.get(publicKey)?.watchedFor ?? 0) > 0 ? this.#policy.watchedFloor : 0;
  }
}
