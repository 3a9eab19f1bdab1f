import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CoordinatorContext } from '../coordinator-context.ts';

export function registerHealthRoutes(app: FastifyInstance, context: CoordinatorContext): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/healthz',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Liveness: the database answers and the queue is loaded',
        response: { 200: z.object({ status: z.literal('ok'), uptimeSeconds: z.number(), workers: z.number(), queued: z.number() }) },
      },
    },
    async () => {
      context.store.ping();
      return {
        status: 'ok' as const,
        uptimeSeconds: Math.round((Date.now() - context.startedAt) / 1000),
        workers: context.registry.size,
        queued: context.dispatcher.openCounts().queued,
      };
    },
  );
  typed.get('/metrics', { schema: { tags: ['Operations'], summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
    return reply.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics());
  });
}
