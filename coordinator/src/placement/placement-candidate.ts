import type { Tier } from '@tessera/shared';
import type { WorkerSession } from '../workers/worker-session.ts';
import type { PlacementCandidate } from './eligibility.ts';

/** What the placement rules see of a connected tab; its `tier` comes from its reputation. */
export function placementCandidate(session: WorkerSession, tier: Tier): PlacementCandidate {
  return {
    tier,
    nodeId: session.nodeId,
    role: session.role,
    models: session.models,
    gpu: session.capabilities.gpu,
    activeTaskCount: session.activeTasks.size,
    maxConcurrentTasks: session.capabilities.maxConcurrentTasks,
    tokensPerSecond: session.tokensPerSecond,
    lastAssignedAt: session.lastAssignedAt,
  };
}
