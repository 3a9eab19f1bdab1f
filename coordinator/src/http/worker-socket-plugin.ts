import type { FastifyPluginAsync } from 'fastify';
import { Server as SocketServer } from 'socket.io';
import { WORKER_NAMESPACE } from '@tessera/shared';
import type { WorkerGateway } from '../workers/worker-gateway.ts';

export interface WorkerSocketOptions {
  gateway: Pick<WorkerGateway, 'listen'>;
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
  options.gateway.listen(io);
  app.addHook('preClose', async () => {
    // Close tab connections ourselves so the HTTP server can shut down; io.close() would close it twice.
    io.disconnectSockets(true);
    io.of(WORKER_NAMESPACE).disconnectSockets(true);
    io.engine.close();
  });
};
