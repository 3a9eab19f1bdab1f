import type { FastifyPluginAsync } from 'fastify';
import { Server as SocketServer } from 'socket.io';
import { API_NAMESPACE, WORKER_NAMESPACE } from '@tessera/shared';
import type { ClusterSockets } from '../cluster/cluster-sockets.ts';
import type { WorkerGateway } from '../workers/worker-gateway.ts';

export interface WorkerSocketOptions {
  gateway: Pick<WorkerGateway, 'listen'>;
  /** With several instances on one Redis: the adapter that lets any instance reach any tab. */
  cluster?: Pick<ClusterSockets, 'attach'> | undefined;
  /** The developers' `/api` namespace (`DeveloperStream`), on the same server. */
  developers?: { listen(io: SocketServer): void };
}

/**
 * The socket.io server on the app's HTTP server, for the tabs' `/worker` connections. It owns the
 * server's life: tab connections are closed before the HTTP server shuts down.
 */
export const workerSocketPlugin: FastifyPluginAsync<WorkerSocketOptions> = async (app, options) => {
  const io = new SocketServer(app.server, {
    serveClient: false,
    // Embedding results for a full batch are a few MB of JSON; anything larger is refused by socket.io.
    maxHttpBufferSize: 16 * 1024 * 1024,
    pingInterval: 10_000,
    pingTimeout: 10_000,
  });
  options.cluster?.attach(io);
  options.gateway.listen(io);
  options.developers?.listen(io);
  app.addHook('preClose', async () => {
    // Close tab connections ourselves so the HTTP server can shut down; io.close() would close it twice.
    // Only this instance's (`local`): with the Redis adapter a plain disconnectSockets reaches every instance.
    io.local.disconnectSockets(true);
    io.of(WORKER_NAMESPACE).local.disconnectSockets(true);
    io.of(API_NAMESPACE).local.disconnectSockets(true);
    io.engine.close();
  });
};
