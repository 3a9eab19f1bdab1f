import type { RateLimitPluginOptions } from '@fastify/rate-limit';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisConnections } from './redis-connections.ts';

/** Where the limiters keep their counts when the coordinator runs as one of several instances. */
export interface SharedLimits {
  redis: RedisConnections;
  /** `TESSERA_REDIS_PREFIX`: the network's keys in Redis. */
  prefix: string;
}

/**
 * The store of the HTTP API's limiter (`@fastify/rate-limit`): this process's memory when the coordinator
 * runs alone, Redis when it is one of several instances, so a client's requests count against one limit
 * whichever instance answers them. While Redis is unreachable requests are let through uncounted
 * (`skipOnError`) rather than failed: losing the limit for a moment beats losing the API.
 */
export function httpRateLimitStore(shared: SharedLimits | undefined): Pick<RateLimitPluginOptions, 'redis' | 'nameSpace' | 'skipOnError'> {
  if (shared === undefined) return {};
  return { redis: shared.redis.command, nameSpace: `${shared.prefix}:rate-limit:`, skipOnError: true };
}

/** The parts of a connected tab the peer limiter keys on. */
export interface PeerLimitedTab {
  nodeId: string;
  key: { publicKey: string };
}

/** Bounds the `peer:*` messages a tab may send per second (the coordinator relays them). */
export interface PeerMessageLimiter {
  /** Resolves when the message is within the budget; rejects when it is over (or the limiter failed). */
  consume(tab: PeerLimitedTab): Promise<unknown>;
  /** The tab left. */
  forget(tab: PeerLimitedTab): void;
}

export interface PeerMessageLimiterOptions {
  perSecond: number;
  shared?: SharedLimits | undefined;
}

/**
 * The peer-message limiter. Alone, the budget is per connection (`nodeId`), kept in memory, exactly as it
 * always was. As one of several instances, a connection still lives on one instance, so sharing a
 * per-connection count would add nothing; what a tab could multiply across instances is its identity (one
 * key connected to every instance), so the budget is per tab key, counted in Redis across the network. While
 * Redis is unreachable each instance counts in memory (rate-limiter-flexible's insurance limiter), so the
 * limit never lapses, it only stops being shared.
 */
export function peerMessageLimiter(options: PeerMessageLimiterOptions): PeerMessageLimiter {
  const { perSecond, shared } = options;
  if (shared === undefined) {
    const memory = new RateLimiterMemory({ keyPrefix: 'peer', points: perSecond, duration: 1 });
    return {
      consume: (tab) => memory.consume(tab.nodeId),
      forget: (tab) => void memory.delete(tab.nodeId),
    };
  }
  const insurance: RateLimiterAbstract = new RateLimiterMemory({ keyPrefix: 'peer', points: perSecond, duration: 1 });
  const redis = new RateLimiterRedis({
    storeClient: shared.redis.command,
    keyPrefix: `${shared.prefix}:peer`,
    points: perSecond,
    duration: 1,
    insuranceLimiter: insurance,
    rejectIfRedisNotReady: true,
  });
  return {
    consume: (tab) => redis.consume(tab.key.publicKey),
    // The key may still be connected to another instance; its count ends with its one-second window.
    forget: () => undefined,
  };
}
