import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * A fresh Redis prefix (`--redis-prefix`) for one benchmark network, so no run hears another's events or
 * counts against its limits; `clear` deletes the keys the coordinators left under it (rate limits,
 * socket.io's). Pub/sub channels leave nothing behind.
 */
export function benchRedisPrefix(url: string): { prefix: string; clear: () => Promise<void> } {
  const prefix = `bench-${randomBytes(6).toString('hex')}`;
  return {
    prefix,
    clear: async () => {
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** The server's address for the report, without credentials. */
export function describeRedis(url: string): string {
  const parsed = new URL(url);
  return `Redis at ${parsed.hostname}:${parsed.port || '6379'}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}
