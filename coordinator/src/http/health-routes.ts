import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Dispatcher } from '../tasks/dispatcher.ts';
import type { TaskStore } from '../tasks/task-store.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';
import type { CoordinatorMetrics } from './coordinator-metrics.ts';

export interface HealthRoutesOptions {
  store: Pick<TaskStore, 'ping'>;
  registry: Pick<WorkerRegistry, 'size'>;
  tasks: Pick<Dispatcher, 'openCounts'>;
  metrics: Pick<CoordinatorMetrics, 'registry'>;
  startedAt: number;
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, context) => {
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
        queued: context.tasks.openCounts().queued,
      };
    },
  );
  typed.get('/metrics', { schema: { tags: ['Operations'], summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
    return reply.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics());
  });
};
