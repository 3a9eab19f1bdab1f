import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { ClusterChannel } from './cluster-channel.ts';
import { ClusterSockets } from './cluster-sockets.ts';
import type { SharedLimits } from './rate-limiters.ts';
import { RedisConnections, redactRedisUrl } from './redis-connections.ts';

/** What this instance shares with the others over Redis (`TESSERA_REDIS_URL`). */
export interface Cluster {
  /** This instance's id, fresh at every start. */
  instanceId: string;
  redis: RedisConnections;
  /** The tab socket server across instances. */
  sockets: ClusterSockets;
  /** Typed messages between instances. */
  channel: ClusterChannel;
  /** Where the HTTP and peer-message limiters count. */
  limits: SharedLimits;
  /** Closes the Redis connections; after the tab sockets closed (the adapter needs Redis until then). */
  close(): Promise<void>;
}

export interface OpenClusterOptions {
  /** `TESSERA_REDIS_URL`. */
  url: string;
  /** `TESSERA_REDIS_PREFIX`: instances with the same Redis and prefix are one network. */
  prefix: string;
  logger: FastifyBaseLogger;
}

/**
 * Connects to Redis (failing start-up with a clear message if it does not answer) and builds what crosses
 * instances: the socket.io adapter, the shared limiters' store, the cluster channel.
 *
 * @example
 * const cluster = await openCluster({ url: 'redis://127.0.0.1:6379', prefix: 'tessera', logger });
 */
export async function openCluster(options: OpenClusterOptions): Promise<Cluster> {
  const { url, prefix, logger } = options;
  const redis = await RedisConnections.open({ url, logger });
  const instanceId = randomUUID();
  try {
    const channel = new ClusterChannel({
      publisher: redis.command,
      subscriber: await redis.subscriber('cluster channel'),
      channel: `${prefix}:events`,
      instanceId,
      logger,
    });
    await channel.open();
    logger.info({ redis: redactRedisUrl(url), prefix, instanceId }, 'sharing sockets, rate limits and events through Redis');
    return {
      instanceId,
      redis,
      sockets: new ClusterSockets({ redis, subscriber: await redis.subscriber('socket.io adapter'), prefix }),
      channel,
      limits: { redis, prefix },
      close: () => redis.close(),
    };
  } catch (error) {
    await redis.close();
    throw error;
  }
}
