import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** Runs `use` on a connection of its own; a refused connection rejects (once, not as an unhandled error event). */
async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  let cause: Error | undefined;
  redis.on('error', (error: Error) => (cause ??= error));
  try {
    await redis.connect().catch((error: unknown) => {
      throw cause ?? error;
    });
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/**
 * A fresh Redis prefix (`--redis-prefix`) for one benchmark network, so no run hears another's events or
 * counts against its limits; `clear` deletes the keys the coordinators left under it (rate limits,
 * socket.io's). Pub/sub channels leave nothing behind.
 */
export function benchRedisPrefix(url: string): { prefix: string; clear: () => Promise<void> } {
  const prefix = `bench-${randomBytes(6).toString('hex')}`;
  return {
    prefix,
    clear: () =>
      withRedis(url, async (redis) => {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      }),
  };
}

/** The server's address for the report, without credentials; throws, saying so, when it does not answer. */
export async function describeRedis(url: string): Promise<string> {
  const parsed = new URL(url);
  const where = `Redis at ${parsed.hostname}:${parsed.port || '6379'}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  try {
    const version = await withRedis(url, async (redis) => /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?');
    return `${where} (version ${version})`;
  } catch (error) {
    throw new Error(
      `${where} (--redis-url) did not answer: ${error instanceof Error ? error.message : String(error)}. --cluster needs it running.`,
      { cause: error },
    );
  }
}
