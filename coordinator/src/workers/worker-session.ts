import type { Capabilities, CoordinatorToWorkerMessage, NodeId, OfferedModel, TaskId, VerifyJobId, WorkerRole } from '@tessera/shared';
import type { Ed25519Key } from './ed25519-key.ts';

/** How the coordinator talks to one tab; socket.io in production, anything with the same shape in tests. */
export interface WorkerChannel {
  send(message: CoordinatorToWorkerMessage): void;
  disconnect(): void;
}

export type ModelCheck = 'pending' | 'passed' | 'refused';

/** One connected tab, as the coordinator sees it. */
export interface WorkerSession {
  /** Fresh per connection; bound into every signature so messages cannot be replayed elsewhere. */
  readonly nodeId: NodeId;
  readonly role: WorkerRole;
  /** The network it connects from (its address's /24, or /64): guards never check tabs of their own network. */
  readonly network: string;
  readonly channel: WorkerChannel;
  /** This connection's secret for `direct_stream` requests (given in `worker:welcome`). */
  readonly directStreamKey: string;
  /** The tab's identity across connections; reputation is kept per key. */
  readonly key: Ed25519Key;
  capabilities: Capabilities;
  /** Models the tab offers (hello, heartbeats), restricted to the catalog. */
  offeredModels: Map<string, OfferedModel>;
  /** Offered models it may serve now (known-answer check passed or not needed); what placement sees. */
  models: Map<string, OfferedModel>;
  readonly modelChecks: Map<string, ModelCheck>;
  /** Tasks (and known-answer checks) the tab is running. */
  readonly activeTasks: Set<TaskId>;
  /** Guards: verification jobs in progress. */
  readonly activeJobs: Set<VerifyJobId>;
  readonly connectedAt: number;
  lastSeenAt: number;
  lastAssignedAt: number;
  completedTasks: number;
  failedTasks: number;
  /** Guards: verdicts given on this connection. */
  readonly verdicts: { valid: number; invalid: number };
  /** Exponential moving average of measured decode speed. */
  tokensPerSecond: number | null;
}

/** The offered models whose known-answer check passed. */
export function servableModels(session: WorkerSession): Map<string, OfferedModel> {
  const models = new Map<string, OfferedModel>();
  for (const [id, model] of session.offeredModels) if (session.modelChecks.get(id) === 'passed') models.set(id, model);
  return models;
}
