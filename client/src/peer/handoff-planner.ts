import type { NodeId, TaskHandoff, TaskId } from '@tessera/shared';

/** A task this tab holds, as `TaskRunner.heldTasks` lists it. */
export interface HeldTask {
  taskId: TaskId;
  model: string;
  /** Still waiting for the engine (not started). */
  queued: boolean;
  /** Wall-clock ms when the tab got it. */
  since: number;
}

/** Where offers go: `PeerNetwork.neighbourFor` has this shape. */
export interface HandoffNeighbours {
  neighbourFor(
    modelId: string,
    want: 'idle' | 'room',
    exclude: ReadonlySet<NodeId>,
    reserved: ReadonlyMap<NodeId, number>,
  ): { nodeId: NodeId } | undefined;
}

export interface HandoffPlannerOptions {
  /** Sends `task:handoff` to the coordinator. */
  send: (handoff: TaskHandoff) => void;
  /** A waiting task is offered once it waited this long (a busy tab). Default 250 ms. */
  offerAfterMs?: number;
  now?: () => number;
}

/**
 * Which held task to offer to which neighbour. A busy tab offers tasks that waited `offerAfterMs` to
 * neighbours holding nothing (moving a queue into another queue gains nothing); a leaving tab offers all
 * it holds to neighbours with room. Each task goes to at most one neighbour at a time and never twice to
 * the same one; offers not yet answered count against a neighbour's room. The coordinator decides:
 * `task:cancel` means moved, `handoff_refused` means the task stays and may be offered elsewhere.
 */
export class HandoffPlanner {
  readonly #options: HandoffPlannerOptions;
  readonly #now: () => number;
  /** Offers awaiting the coordinator's answer: task → the neighbour offered it. */
  readonly #pending = new Map<TaskId, NodeId>();
  readonly #tried = new Map<TaskId, Set<NodeId>>();

  constructor(options: HandoffPlannerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Offers not answered yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The busy tab's offers; returns how many were made now. */
  offerWaiting(tasks: readonly HeldTask[], neighbours: HandoffNeighbours): number {
    const now = this.#now();
    let offered = 0;
    for (const task of tasks) {
      if (!task.queued || this.#pending.has(task.taskId) || now - task.since < (this.#options.offerAfterMs ?? 250)) continue;
      if (this.#offer(task, 'idle', neighbours)) offered++;
    }
    return offered;
  }

  /** The leaving tab's offers; returns how many tasks are now on offer (new and earlier ones). */
  offerAll(tasks: readonly HeldTask[], neighbours: HandoffNeighbours): number {
    let offered = 0;
    for (const task of tasks) if (this.#pending.has(task.taskId) || this.#offer(task, 'room', neighbours)) offered++;
    return offered;
  }

  /** The coordinator cancelled a task; true when that answers an offer (the task moved). */
  moved(taskId: TaskId): boolean {
    return this.#pending.delete(taskId);
  }

  /** A `handoff_refused` (or `not_assigned`) for `task:handoff`: the tasks it names stay and may be offered again. */
  refused(message: string): void {
    for (const taskId of [...this.#pending.keys()]) if (message.includes(taskId)) this.#pending.delete(taskId);
  }

  clear(): void {
    this.#pending.clear();
    this.#tried.clear();
  }

  #offer(task: HeldTask, want: 'idle' | 'room', neighbours: HandoffNeighbours): boolean {
    const tried = this.#tried.get(task.taskId) ?? new Set<NodeId>();
    const reserved = new Map<NodeId, number>();
    for (const nodeId of this.#pending.values()) reserved.set(nodeId, (reserved.get(nodeId) ?? 0) + 1);
    const neighbour = neighbours.neighbourFor(task.model, want, tried, reserved);
    if (neighbour === undefined) return false;
    tried.add(neighbour.nodeId);
    this.#tried.set(task.taskId, tried);
    this.#pending.set(task.taskId, neighbour.nodeId);
    this.#options.send({ taskId: task.taskId, to: neighbour.nodeId });
    return true;
  }
}
