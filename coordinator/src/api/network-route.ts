import { networkSnapshotSchema } from '@tessera/shared';
import type { NetworkSnapshot } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CoordinatorContext } from '../coordinator-context.ts';
import { accuracyOf, checkProbabilityFor, tierOf } from '@tessera/shared';

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
      keyFingerprint: session.key.fingerprint,
      reputation: reputationView(context, session.key.publicKey),
      refusedModels: [...session.modelChecks].filter(([, check]) => check === 'refused').map(([id]) => id),
      verdicts: { ...session.verdicts },
    })),
    queue: { queued: open.queued, assigned: open.assigned, byModel: context.dispatcher.queuedByModel() },
    totals: { succeeded: counts.succeeded, failed: counts.failed, cancelled: counts.cancelled },
    throughput,
    verification: { ...context.verifier.counts },
    uptimeSeconds: Math.round((Date.now() - context.startedAt) / 1000),
  };
}

function reputationView(context: CoordinatorContext, publicKey: string) {
  const stats = context.reputation.get(publicKey);
  return {
    tier: tierOf(stats),
    accuracy: accuracyOf(stats),
    validChecks: stats.validChecks,
    invalidChecks: stats.invalidChecks,
    consecutiveValid: stats.consecutiveValid,
    checkProbability: checkProbabilityFor(stats),
  };
}

export interface NetworkRouteOptions {
  snapshot: () => NetworkSnapshot;
}

export const networkRoute: FastifyPluginAsync<NetworkRouteOptions> = async (app, context) => {
  app
    .withTypeProvider<ZodTypeProvider>()
    .get(
      '/api/v1/network',
      { schema: { tags: ['Network'], summary: 'Connected tabs, queue and throughput', response: { 200: networkSnapshotSchema } } },
      async () => context.snapshot(),
    );
};
