import { createAdapter } from '@socket.io/redis-adapter';
import { WORKER_NAMESPACE } from '@tessera/shared';
import type { Redis } from 'ioredis';
import type { Namespace, Server } from 'socket.io';
import type { RedisConnections } from './redis-connections.ts';

export interface ClusterSocketsOptions {
  redis: RedisConnections;
  /** The adapter's own subscribing connection (`RedisConnections.subscriber`), already connected. */
  subscriber: Redis;
  /** Key prefix of this network in Redis (`TESSERA_REDIS_PREFIX`): instances with the same one are one cluster. */
  prefix: string;
  /** How long a cross-instance query (`fetchSockets`) waits for the other instances' answers. */
  requestsTimeoutMs?: number;
}

/**
 * Shares the tab socket server between instances through `@socket.io/redis-adapter`: with it attached,
 * `io.of('/worker').to(socketId).emit(…)` reaches a tab connected to any instance, and `fetchSockets()`
 * lists the tabs of every instance. What each instance does with its own tabs (the gateway) is unchanged;
 * cross-instance task routing is built on this later.
 */
export class ClusterSockets {
  readonly #options: ClusterSocketsOptions;
  #workers: Namespace | undefined;

  constructor(options: ClusterSocketsOptions) {
    this.#options = options;
  }

  /** Puts the Redis adapter under `io`; must run before the `/worker` namespace is first used. */
  attach(io: Server): void {
    const { redis, subscriber, prefix } = this.#options;
    io.adapter(
      createAdapter(redis.command, subscriber, {
        key: `${prefix}:socket.io`,
        requestsTimeout: this.#options.requestsTimeoutMs ?? 5000,
        // Answers go to the asking instance only, not to every instance.
        publishOnSpecificResponseChannel: true,
      }),
    );
    this.#workers = io.of(WORKER_NAMESPACE);
  }

  /** The `/worker` namespace, spanning every instance. */
  get workers(): Namespace {
    if (this.#workers === undefined) throw new Error('ClusterSockets.attach(io) has not run');
    return this.#workers;
  }
}
