import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

export interface RedisConnectionsOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  logger: FastifyBaseLogger;
  /** How long the first connection may take before start-up fails. */
  connectTimeoutMs?: number;
}

/** The URL without its password, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * The one owner of the coordinator's Redis connections: a command connection (rate limits, publishing) and
 * one dedicated connection per subscriber (Redis puts a subscribing connection in a mode where it can do
 * nothing else). `open` fails start-up with a clear message when Redis does not answer; after that,
 * ioredis reconnects by itself (and re-subscribes), and `close` ends every connection it made.
 */
export class RedisConnections {
  readonly command: Redis;
  readonly #subscribers: Redis[] = [];
  readonly #logger: FastifyBaseLogger;
  readonly #where: string;
  #closed = false;

  private constructor(command: Redis, logger: FastifyBaseLogger, where: string) {
    this.command = command;
    this.#logger = logger;
    this.#where = where;
  }

  /**
   * Connects and checks that Redis answers (PING), or throws naming the URL (password hidden) and the cause.
   *
   * @example
   * const redis = await RedisConnections.open({ url: 'redis://127.0.0.1:6379', logger });
   */
  static async open(options: RedisConnectionsOptions): Promise<RedisConnections> {
    const where = redactRedisUrl(options.url);
    const command = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      // While Redis is away a command fails at once instead of waiting in a queue: an API request's rate
      // check must not hang on it (see cluster/rate-limiters.ts for what each limiter does then).
      enableOfflineQueue: false,
    });
    const connections = new RedisConnections(command, options.logger, where);
    // ioredis rejects connect() with "Connection is closed."; the error event says why (refused, DNS, auth).
    let cause: Error | undefined;
    const remember = (error: Error): void => {
      cause = error;
    };
    command.on('error', remember);
    try {
      await command.connect();
      await command.ping();
    } catch (error) {
      command.disconnect();
      const why = cause?.message ?? (error instanceof Error ? error.message : String(error));
      throw new Error(`Redis at ${where} (TESSERA_REDIS_URL) did not answer: ${why}. Start it, or unset TESSERA_REDIS_URL to run alone.`, {
        cause: error,
      });
    } finally {
      command.off('error', remember);
    }
    connections.#watch(command, 'command');
    return connections;
  }

  /**
   * A new connection for subscribing (the socket.io adapter's, the cluster channel's), connected before it is
   * handed out and closed with the rest. ioredis re-subscribes it after a loss.
   */
  async subscriber(name: string): Promise<Redis> {
    if (this.#closed) throw new Error('Redis connections are closed');
    const connection = this.command.duplicate({ enableOfflineQueue: true });
    this.#watch(connection, name);
    this.#subscribers.push(connection);
    await connection.connect();
    return connection;
  }

  /** Ends every connection: subscribers first, then the command connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of this.#subscribers.splice(0)) await RedisConnections.#end(connection);
    await RedisConnections.#end(this.command);
  }

  /**
   * QUIT goes after what is pending, so a subscription still being confirmed is answered rather than rejected
   * (the socket.io adapter does not catch its own); a connection that is not up, or does not answer within a
   * second, is dropped.
   */
  static async #end(connection: Redis): Promise<void> {
    if (connection.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000);
      });
      await Promise.race([connection.quit().catch(() => undefined), late]);
      clearTimeout(timer);
    }
    connection.disconnect();
  }

  /** Without a listener ioredis prints errors to stderr; they go to the log, once per outage. */
  #watch(connection: Redis, name: string): void {
    let down = false;
    connection.on('error', (error: Error) => {
      if (down) return;
      down = true;
      this.#logger.warn({ redis: this.#where, connection: name, err: error.message }, 'Redis connection lost; reconnecting');
    });
    connection.on('ready', () => {
      if (!down) return;
      down = false;
      this.#logger.info({ redis: this.#where, connection: name }, 'Redis connection back');
    });
  }
}
