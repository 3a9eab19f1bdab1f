import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Per-route HTTP metrics: requests by method, route pattern and status, and their duration. The route is
 * fastify's pattern (`/api/v1/tasks/:id`), never the raw URL, so the series stay few whatever callers send;
 * what matched no route counts as `unmatched`.
 */
export function installHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (a stream: until it ended), by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [registry],
  });
  // On the socket's close rather than fastify's onResponse, which a hijacked reply (a stream) never reaches.
  app.addHook('onRequest', (request, reply, done) => {
    const started = process.hrtime.bigint();
    reply.raw.once('close', () => {
      const route = request.routeOptions.url ?? 'unmatched';
      requests.inc({ method: request.method, route, status: String(reply.raw.statusCode) });
      duration.observe({ method: request.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    done();
  });
}
