import type { Capabilities, CoordinatorToWorkerMessage, NodeId, OfferedModel, TaskId, WorkerRole } from '@tessera/shared';

/** How the coordinator talks to one tab; socket.io in production, anything with the same shape in tests. */
export interface WorkerChannel {
  send(message: CoordinatorToWorkerMessage): void;
  disconnect(): void;
}

/** One connected tab, as the coordinator sees it. */
export interface WorkerSession {
  readonly nodeId: NodeId;
  readonly role: WorkerRole;
  readonly channel: WorkerChannel;
  capabilities: Capabilities;
  /** Models the tab offers, keyed by id, restricted to the catalog. */
  models: Map<string, OfferedModel>;
  readonly activeTasks: Set<TaskId>;
  readonly connectedAt: number;
  lastSeenAt: number;
  lastAssignedAt: number;
  completedTasks: number;
  failedTasks: number;
  /** Exponential moving average of measured decode speed. */
  tokensPerSecond: number | null;
}
