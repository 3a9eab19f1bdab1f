import { networkSnapshotSchema } from '@tessera/shared';
import type { NetworkSnapshot } from '@tessera/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CoordinatorContext } from '../coordinator-context.ts';

export function networkSnapshot(context: CoordinatorContext): NetworkSnapshot {
  const open = context.dispatcher.openCounts();
  const counts = context.store.counts();
  const throughput = context.metrics.recentThroughput();
  return {
    nodes: [...context.registry.all()].map((session) => ({
      nodeId: session.nodeId,
      role: session.role,
      connectedAt: session.connectedAt,
      lastSeenAt: session.lastSeenAt,
      gpu: session.capabilities.gpu,
      backends: session.capabilities.backends,
      models: [...session.models.values()],
      activeTasks: session.activeTasks.size,
      maxConcurrentTasks: session.capabilities.maxConcurrentTasks,
      completedTasks: session.completedTasks,
      failedTasks: session.failedTasks,
      tokensPerSecond: session.tokensPerSecond,
    })),
    queue: { queued: open.queued, assigned: open.assigned, byModel: context.dispatcher.queuedByModel() },
    totals: { succeeded: counts.succeeded, failed: counts.failed, cancelled: counts.cancelled },
    throughput,
    uptimeSeconds: Math.round((Date.now() - context.startedAt) / 1000),
  };
}

export function registerNetworkRoute(app: FastifyInstance, context: CoordinatorContext): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/network',
    { schema: { tags: ['Network'], summary: 'Connected tabs, queue and throughput', response: { 200: networkSnapshotSchema } } },
    async () => networkSnapshot(context),
  );
}
