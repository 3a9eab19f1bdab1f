import type { NodeId } from '@tessera/shared';
import type { WorkerSession } from './worker-session.ts';

/**
 * The connected tabs, indexed by node id and by offered model so placement looks only at the tabs that
 * could serve a task.
 */
export class WorkerRegistry {
  readonly #byNode = new Map<NodeId, WorkerSession>();
  readonly #byModel = new Map<string, Set<WorkerSession>>();

  add(session: WorkerSession): void {
    this.#byNode.set(session.nodeId, session);
    this.#index(session);
  }

  remove(nodeId: NodeId): WorkerSession | undefined {
    const session = this.#byNode.get(nodeId);
    if (session === undefined) return undefined;
    this.#byNode.delete(nodeId);
    this.#unindex(session);
    return session;
  }

  /** Replaces the models a tab offers (heartbeats carry them as they load). */
  updateModels(session: WorkerSession, models: WorkerSession['models']): void {
    this.#unindex(session);
    session.models = models;
    this.#index(session);
  }

  get(nodeId: NodeId): WorkerSession | undefined {
    return this.#byNode.get(nodeId);
  }

  candidatesFor(model: string): ReadonlySet<WorkerSession> {
    return this.#byModel.get(model) ?? new Set();
  }

  all(): IterableIterator<WorkerSession> {
    return this.#byNode.values();
  }

  get size(): number {
    return this.#byNode.size;
  }

  #index(session: WorkerSession): void {
    for (const modelId of session.models.keys()) {
      let set = this.#byModel.get(modelId);
      if (set === undefined) {
        set = new Set();
        this.#byModel.set(modelId, set);
      }
      set.add(session);
    }
  }

  #unindex(session: WorkerSession): void {
    for (const modelId of session.models.keys()) {
      const set = this.#byModel.get(modelId);
      set?.delete(session);
      if (set?.size === 0) this.#byModel.delete(modelId);
    }
  }
}
