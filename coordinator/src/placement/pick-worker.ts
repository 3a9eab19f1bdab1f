import { TIER_PLACEMENT_RANK } from '@tessera/shared';
import type { ModelCatalogEntry, ModelState } from '@tessera/shared';
import { mayWork, type PlacementCandidate, type TierRequirement } from './eligibility.ts';

export type { PlacementCandidate } from './eligibility.ts';

const STATE_COST: Record<ModelState, number> = { loaded: 0, cached: 1, available: 2 };

/**
 * Picks the tab for a task, or none. Order of preference: the model already in memory (a load costs
 * seconds to minutes), then on disk, then least loaded, then better reputation tier, then fastest, then
 * whoever waited longest since its last task (spreads work across equal tabs). Who may be picked at
 * all is `mayWork`'s to say.
 */
export function pickWorker<Candidate extends PlacementCandidate>(
  model: ModelCatalogEntry,
  candidates: Iterable<Candidate>,
  minTier: TierRequirement = null,
): Candidate | undefined {
  let best: Candidate | undefined;
  let bestKey: readonly number[] | undefined;
  for (const candidate of candidates) {
    if (!mayWork(candidate, model, minTier)) continue;
    const offered = candidate.models.get(model.id);
    if (offered === undefined) continue;
    const key = [
      STATE_COST[offered.state],
      candidate.activeTaskCount / candidate.maxConcurrentTasks,
      TIER_PLACEMENT_RANK[candidate.tier],
      -(candidate.tokensPerSecond ?? 0),
      candidate.lastAssignedAt,
    ] as const;
    if (bestKey === undefined || compareKeys(key, bestKey) < 0) {
      best = candidate;
      bestKey = key;
    }
  }
  return best;
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
