import { TIER_PLACEMENT_RANK } from '@tessera/shared';
import type { Backend, GpuInfo, ModelCatalogEntry, NodeId, OfferedModel, Tier, WorkerRole } from '@tessera/shared';

/** What the rules need to know about a tab; a subset of the session so they stay pure. */
export interface PlacementCandidate {
  nodeId: NodeId;
  /** From the tab's reputation: `banned` takes no work; the others rank placement (`TIER_PLACEMENT_RANK`). */
  tier: Tier;
  role: WorkerRole;
  models: ReadonlyMap<string, OfferedModel>;
  gpu: GpuInfo | null;
  activeTaskCount: number;
  maxConcurrentTasks: number;
  tokensPerSecond: number | null;
  lastAssignedAt: number;
}

/** What decides whether a tab may check another tab's result. */
export interface CheckCandidate {
  role: WorkerRole;
  publicKey: string;
  /** The guard's own standing: a banned guard checks nothing. */
  tier: Tier;
}

/**
 * The least standing a caller may ask of the tabs that see its prompt (`x-tessera-min-tier`): `trusted`
 * or `veteran`, or null for any tab in good standing. Guards that check such a task must meet it too.
 */
export type TierRequirement = Extract<Tier, 'trusted' | 'veteran'> | null;

const TIER_ORDER: Record<Tier, number> = { banned: 0, demoted: 1, probation: 2, trusted: 3, veteran: 4 };

/** Whether a tab of `tier` may see a task that requires `required`. */
export function meetsTier(tier: Tier, required: TierRequirement): boolean {
  return required === null || TIER_ORDER[tier] >= TIER_ORDER[required];
}

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
 * The one rule for "may this tab take this task now", used by placement and by hand-offs alike: a
 * worker offering the model (its known-answer check passed: `models` holds only those), with a free slot,
 * not barred by its reputation, on a backend its device can run. Returns why not, or undefined.
 */
export function workRefusal(candidate: PlacementCandidate, model: ModelCatalogEntry, minTier: TierRequirement = null): string | undefined {
  const offered = candidate.models.get(model.id);
  if (candidate.role !== 'worker' || offered === undefined) return `does not serve ${model.id}`;
  if (candidate.activeTaskCount >= candidate.maxConcurrentTasks) return 'has no free slot';
  if (TIER_PLACEMENT_RANK[candidate.tier] === Infinity) return 'may not take work';
  if (!meetsTier(candidate.tier, minTier)) return `is ${candidate.tier}, and the caller asked for ${minTier} tabs only`;
  if (!deviceFits(model, offered.backend, candidate.gpu)) return `cannot run ${model.id} on its device`;
  return undefined;
}

export function mayWork(candidate: PlacementCandidate, model: ModelCatalogEntry, minTier: TierRequirement = null): boolean {
  return workRefusal(candidate, model, minTier) === undefined;
}

/**
 * The one rule for "may this tab check a result": a guard, not barred by its reputation, never the
 * holder of the worker's own key (nobody confirms their own work), and of the standing the caller asked for.
 */
export function mayCheck(guard: CheckCandidate, workerKey: string, minTier: TierRequirement = null): boolean {
  return (
    guard.role === 'guard' &&
    guard.publicKey !== workerKey &&
    TIER_PLACEMENT_RANK[guard.tier] !== Infinity &&
    meetsTier(guard.tier, minTier)
  );
}

/**
 * Why a task may not be handed from its tab to peer `to`, or undefined when it may: the peer must be one
 * the coordinator introduced, connected, not have failed the task, and be allowed to work (`mayWork`).
 * Known-answer checks (pinned) stay where they are; they are declined like any other hand-off, since a
 * distinct answer would tell a cheating tab which tasks are checks.
 */
export function handoffRefusal(request: {
  pinned: boolean;
  introduced: boolean;
  to: NodeId;
  target: PlacementCandidate | undefined;
  /** The target is on another instance (scale-out), which makes the checks on it: skipped here. */
  targetElsewhere?: boolean;
  failedOn: ReadonlySet<NodeId>;
  model: ModelCatalogEntry;
  minTier: TierRequirement;
}): string | undefined {
  const { to, target } = request;
  if (request.pinned) return 'it cannot be moved';
  if (!request.introduced) return `tab ${to} is not one of its introduced peers`;
  if (request.failedOn.has(to)) return `tab ${to} already failed this task`;
  if (target === undefined) return request.targetElsewhere === true ? undefined : `tab ${to} is not connected`;
  const refused = workRefusal(target, request.model, request.minTier);
  if (refused !== undefined) return `tab ${to} ${refused}`;
  return undefined;
}
