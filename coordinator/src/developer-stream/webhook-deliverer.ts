import { WEBHOOK_ATTEMPT_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TASK_HEADER, isTerminalStatus, taskIdSchema } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import { taskView } from '../api/openai-mapping.ts';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import type { ApiKeyStore } from '../keys/api-key-store.ts';
import type { Startable } from '../lifecycle/startable.ts';
import type { Dispatcher } from '../tasks/dispatcher.ts';
import { postWebhook } from './post-webhook.ts';
import { webhookBackoffMs } from './webhook-backoff.ts';
import type { WebhookDeliveries, WebhookDelivery } from './webhook-deliveries.ts';
import { webhookSignature } from './webhook-signature.ts';

export interface WebhookDelivererOptions {
  deliveries: WebhookDeliveries;
  keys: Pick<ApiKeyStore, 'webhookSecret'>;
  tasks: Pick<Dispatcher, 'get'>;
  events: CoordinatorEventBus;
  /** This process's name on the claims it takes (the cluster instance id, or a fresh one alone). */
  claimant: string;
  maxAttempts: number;
  retryBaseMs: number;
  timeoutMs: number;
  allowPrivate: boolean;
  logger: FastifyBaseLogger;
  /** Attempts in flight at once from this process. */
  concurrency?: number;
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Delivers webhooks from `webhook_deliveries`, never on the task path: a task's end only wakes this loop,
 * which claims each due delivery (one instance wins it), POSTs the task view signed with the key's webhook
 * secret, and writes down the outcome: delivered, tried again after `webhookBackoffMs`, or given up after
 * `maxAttempts`. The loop also runs on a timer, which picks up deliveries of tasks that ended on another
 * instance, retries that came due, and claims that lapsed with a process that died mid-attempt.
 */
export class WebhookDeliverer implements Startable {
  readonly #options: WebhookDelivererOptions;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, AbortController>();
  readonly #settled = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #offEvents: (() => void)[] = [];
  #stopping = false;
  #lastPrune = 0;

  constructor(options: WebhookDelivererOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#stopping = false;
    // Never faster than a retry could come due, never slower than a second.
    const pollMs = Math.max(10, Math.min(1000, this.#options.retryBaseMs));
    this.#timer = setInterval(() => this.tick(), pollMs);
    this.#timer.unref();
    // `task:succeeded` is heard inside the result's transaction: the tick waits until it committed.
    const wake = (): void => void setImmediate(() => this.tick());
    const { events } = this.#options;
    this.#offEvents = [events.on('task:succeeded', wake), events.on('task:failed', wake), events.on('task:cancelled', wake)];
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const off of this.#offEvents) off();
    this.#offEvents = [];
    for (const controller of this.#inFlight.values()) controller.abort(new Error('the coordinator is stopping'));
    await Promise.allSettled([...this.#settled]);
  }

  /** Claims and starts what is due, up to the concurrency bound. */
  tick(): void {
    if (this.#stopping) return;
    const room = (this.#options.concurrency ?? 8) - this.#inFlight.size;
    if (room <= 0) return;
    const now = this.#now();
    const { deliveries, claimant, timeoutMs } = this.#options;
    if (now - this.#lastPrune > 60_000) {
      this.#lastPrune = now;
      deliveries.prune(now - 7 * DAY_MS);
    }
    for (const delivery of deliveries.due(now, room)) {
      if (this.#inFlight.has(delivery.taskId)) continue;
      // The claim outlives the attempt's own time limit, so it lapses only for a process that died.
      if (!deliveries.claim(delivery.taskId, claimant, now, now + timeoutMs + 5000)) continue;
      const done = this.#attempt(delivery).finally(() => this.#settled.delete(done));
      this.#settled.add(done);
    }
  }

  async #attempt(delivery: WebhookDelivery): Promise<void> {
    const { deliveries, claimant, keys, tasks, logger } = this.#options;
    const attempt = delivery.attempts + 1;
    const parsedId = taskIdSchema.safeParse(delivery.taskId);
    const record = parsedId.success ? tasks.get(parsedId.data) : undefined;
    const secret = keys.webhookSecret(delivery.keyId);
    if (record === undefined || !isTerminalStatus(record.status) || secret === null) {
      const why = secret === null ? 'the key has no webhook secret' : 'the task is not there';
      deliveries.attemptFailed(delivery.taskId, claimant, attempt, why, null, this.#now());
      return;
    }
    const body = JSON.stringify(taskView(record, null));
    const controller = new AbortController();
    this.#inFlight.set(delivery.taskId, controller);
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(this.#options.timeoutMs)]);
    const sentAt = this.#now();
    let failure: string;
    try {
      const status = await postWebhook(new URL(delivery.url), body, {
        signal,
        allowPrivate: this.#options.allowPrivate,
        headers: {
          'user-agent': 'tessera-webhooks/1',
          [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(secret, sentAt, body),
          [WEBHOOK_TASK_HEADER]: delivery.taskId,
          [WEBHOOK_ATTEMPT_HEADER]: String(attempt),
        },
      });
      if (status >= 200 && status < 300) {
        deliveries.delivered(delivery.taskId, claimant, attempt, this.#now());
        return;
      }
      failure = `HTTP ${status}`;
    } catch (error) {
      if (controller.signal.aborted) {
        deliveries.release(delivery.taskId, claimant);
        return;
      }
      failure = error instanceof Error ? error.message : String(error);
    } finally {
      this.#inFlight.delete(delivery.taskId);
    }
    const last = attempt >= this.#options.maxAttempts;
    const now = this.#now();
    deliveries.attemptFailed(
      delivery.taskId,
      claimant,
      attempt,
      failure,
      last ? null : now + webhookBackoffMs(attempt, this.#options.retryBaseMs),
      now,
    );
    logger.info({ taskId: delivery.taskId, attempt, failure, givenUp: last }, 'webhook attempt failed');
  }
}
