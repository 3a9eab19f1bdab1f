import type { Backend, ModelCatalogEntry, ModelState, NodeId, WorkerRole, OfferedModel, GpuInfo } from '@tessera/shared';

/** What placement needs to know about a tab; a subset of the session so the function stays pure. */
export interface PlacementCandidate {
  nodeId: NodeId;
  /** From the tab's reputation tier: lower is preferred; Infinity means no work (banned). */
  tierRank: number;
  role: WorkerRole;
  models: ReadonlyMap<string, OfferedModel>;
  gpu: GpuInfo | null;
  activeTaskCount: number;
  maxConcurrentTasks: number;
  tokensPerSecond: number | null;
  lastAssignedAt: number;
}

const STATE_COST: Record<ModelState, number> = { loaded: 0, cached: 1, available: 2 };

/** Whether the tab's device can run the model on the backend it offers it with. */
export function deviceFits(model: ModelCatalogEntry, backend: Backend, gpu: GpuInfo | null): boolean {
  if (!model.backends.includes(backend)) return false;
  if (backend === 'wasm') return true;
  if (gpu === null) return false;
  // web-llm's compiled kernels are far too slow on a software adapter to serve anyone.
  if (model.engine === 'web-llm' && gpu.isFallbackAdapter) return false;
  const vramBytes = (model.webLlm?.vramRequiredMiB ?? 0) * 1024 * 1024;
  return gpu.maxBufferSize * 4 >= vramBytes;
}

/**
 * Picks the tab for a task, or none. Order of preference: the model already in memory (a load costs
 * seconds to minutes), then on disk, then least loaded, then better reputation tier, then fastest, then
 * whoever waited longest since its last task (spreads work across equal tabs). Banned tabs get nothing.
 */
export function pickWorker<Candidate extends PlacementCandidate>(
  model: ModelCatalogEntry,
  candidates: Iterable<Candidate>,
): Candidate | undefined {
  let best: Candidate | undefined;
  let bestKey: readonly number[] | undefined;
  for (const candidate of candidates) {
    if (candidate.role !== 'worker' || candidate.tierRank === Infinity) continue;
    if (candidate.activeTaskCount >= candidate.maxConcurrentTasks) continue;
    const offered = candidate.models.get(model.id);
    if (offered === undefined || !deviceFits(model, offered.backend, candidate.gpu)) continue;
    const key = [
      STATE_COST[offered.state],
      candidate.activeTaskCount / candidate.maxConcurrentTasks,
      candidate.tierRank,
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
