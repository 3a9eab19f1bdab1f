import type { NetworkSnapshot, Tier } from '@tessera/shared';

export interface ModelCapacity {
  model: string;
  /** Tabs with the model in memory, ready for a task. */
  loaded: number;
  /** Tabs that have its files and could load it. */
  cached: number;
  /** Task slots free on the tabs that hold it loaded. */
  freeSlots: number;
  /** Sum of the last measured decode speed of those tabs; null when none has served yet. */
  tokensPerSecond: number | null;
  queued: number;
}

/** What the network can serve of each model now, busiest queue first, then most tabs. */
export function capacityByModel(snapshot: NetworkSnapshot): ModelCapacity[] {
  const rows = new Map<string, ModelCapacity>();
  const row = (model: string): ModelCapacity => {
    const existing = rows.get(model);
    if (existing !== undefined) return existing;
    const created = { model, loaded: 0, cached: 0, freeSlots: 0, tokensPerSecond: null, queued: 0 };
    rows.set(model, created);
    return created;
  };
  for (const node of snapshot.nodes) {
    if (node.role !== 'worker') continue;
    for (const offered of node.models) {
      if (node.refusedModels.includes(offered.id)) continue;
      const entry = row(offered.id);
      if (offered.state === 'loaded') {
        entry.loaded += 1;
        entry.freeSlots += Math.max(0, node.maxConcurrentTasks - node.activeTasks);
        if (node.tokensPerSecond !== null) entry.tokensPerSecond = (entry.tokensPerSecond ?? 0) + node.tokensPerSecond;
      } else if (offered.state === 'cached') entry.cached += 1;
    }
  }
  for (const [model, queued] of Object.entries(snapshot.queue.byModel)) row(model).queued = queued;
  return [...rows.values()].sort((a, b) => b.queued - a.queued || b.loaded - a.loaded || a.model.localeCompare(b.model));
}

const TIER_ORDER: readonly Tier[] = ['veteran', 'trusted', 'probation', 'demoted', 'banned'];

/** Tabs online per reputation tier, by role; tiers with no tab are left out. */
export function tabsByTier(snapshot: NetworkSnapshot): { tier: Tier; workers: number; guards: number }[] {
  return TIER_ORDER.map((tier) => {
    const inTier = snapshot.nodes.filter((node) => node.reputation.tier === tier);
    return {
      tier,
      workers: inTier.filter((node) => node.role === 'worker').length,
      guards: inTier.filter((node) => node.role === 'guard').length,
    };
  }).filter((row) => row.workers + row.guards > 0);
}
