import type { WorkerRegistry } from '../workers/worker-registry.ts';
import type { WorkerSession } from '../workers/worker-session.ts';

/** Whether some connected tab could take a task of a model now or soon; a task no tab could take fails fast. */
export interface ModelAvailability {
  servable(modelId: string): boolean;
  /** Worker tabs serving the model now (its known-answer check passed), for `/v1/models`. */
  online(modelId: string): number;
}

/** A worker tab that offers the model (loaded, cached or to download) and was not refused it. */
export function mayServeSoon(session: WorkerSession, modelId: string): boolean {
  return session.role === 'worker' && session.offeredModels.has(modelId) && session.modelChecks.get(modelId) !== 'refused';
}

/**
 * Availability among this process's tabs. The tabs placement already indexes answer the common case at
 * once; only a model none of them serves yet looks at every tab (one still loading or being checked).
 */
export class LocalAvailability implements ModelAvailability {
  readonly #registry: WorkerRegistry;

  constructor(registry: WorkerRegistry) {
    this.#registry = registry;
  }

  servable(modelId: string): boolean {
    for (const session of this.#registry.candidatesFor(modelId)) if (session.role === 'worker') return true;
    for (const session of this.#registry.all()) if (mayServeSoon(session, modelId)) return true;
    return false;
  }

  online(modelId: string): number {
    let count = 0;
    for (const session of this.#registry.candidatesFor(modelId)) if (session.role === 'worker') count++;
    return count;
  }

  /** The models some tab here may serve soon: what this instance tells the others (scale-out). */
  models(): Set<string> {
    const models = new Set<string>();
    for (const session of this.#registry.all())
      for (const modelId of session.offeredModels.keys()) if (mayServeSoon(session, modelId)) models.add(modelId);
    return models;
  }
}
