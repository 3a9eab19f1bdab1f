import { clusterEnvelopeText, parseClusterEnvelope, type ClusterMessage } from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

/** Hears a message another instance published; `from` is that instance's id. */
export type ClusterListener = (message: ClusterMessage, from: string) => void;

export interface ClusterChannelOptions {
  /** Connection that publishes (the shared command connection). */
  publisher: Redis;
  /** Connection of its own, put in subscriber mode (`RedisConnections.subscriber`). */
  subscriber: Redis;
  /** The Redis pub/sub channel name: `<prefix>:events`. */
  channel: string;
  /** This instance's id: stamped on what it publishes, and how it skips its own messages. */
  instanceId: string;
  logger: FastifyBaseLogger;
}

/**
 * A typed pub/sub channel between coordinator instances over Redis. Every message is one of
 * `clusterMessageSchemas` (shared/src/cluster-messages.ts) and is parsed on arrival: Redis is a trust
 * boundary like a socket (anything that can reach it can publish). A message that does not parse is
 * dropped with a log line and counted; a listener that throws is logged and does not stop the others.
 *
 * @example
 * const channel = new ClusterChannel({ publisher, subscriber, channel: 'tessera:events', instanceId, logger });
 * await channel.open();
 * channel.listen((message) => { if (message.event === 'task:chunk') … });
 * await channel.publish({ event: 'task:ended', payload: { taskId, status: 'succeeded' } });
 */
export class ClusterChannel {
  readonly #options: ClusterChannelOptions;
  readonly #listeners = new Set<ClusterListener>();
  #dropped = 0;

  constructor(options: ClusterChannelOptions) {
    this.#options = options;
  }

  /** Subscribes; resolves once Redis confirmed it, so what is published after it is heard. */
  async open(): Promise<void> {
    const { subscriber, channel } = this.#options;
    subscriber.on('message', (from: string, text: string) => {
      if (from === channel) this.#receive(text);
    });
    await subscriber.subscribe(channel);
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: ClusterListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Tells the other instances. Resolves false (and logs) when Redis could not take it: cross-instance
   * messages are best effort, the shared store is the record.
   */
  async publish(message: ClusterMessage): Promise<boolean> {
    const { publisher, channel, instanceId } = this.#options;
    try {
      await publisher.publish(channel, clusterEnvelopeText(instanceId, message));
      return true;
    } catch (error) {
      this.#options.logger.warn(
        { event: message.event, err: error instanceof Error ? error.message : String(error) },
        'cluster message not published',
      );
      return false;
    }
  }

  /** Messages that arrived but did not parse (for tests and diagnostics). */
  get dropped(): number {
    return this.#dropped;
  }

  #receive(text: string): void {
    const parsed = parseClusterEnvelope(text);
    if (!parsed.ok) {
      this.#dropped++;
      this.#options.logger.warn(
        { channel: this.#options.channel, reason: parsed.reason, bytes: text.length },
        'dropped malformed cluster message',
      );
      return;
    }
    const { from, message } = parsed.message;
    if (from === this.#options.instanceId) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(message, from);
      } catch (error) {
        this.#options.logger.error({ err: error, event: message.event }, 'cluster listener threw');
      }
    }
  }
}
