import type { Tier, NodeId, TaskId, TaskOutput, TaskSpec, TaskStatus, TaskTimings, TaskUsage, WireError } from '@tessera/shared';

/** Which public API the task came through, so its result is rendered in that API's shape. */
export type TaskApi = 'chat.completion' | 'embedding';

export interface TaskResultRecord {
  output: TaskOutput;
  usage: TaskUsage;
  timings: TaskTimings;
  nodeId: NodeId;
  /** Whether a guard confirmed it (`passed`), none was sampled (`unchecked`), or none could (`unverified`). */
  check: 'passed' | 'unchecked' | 'unverified';
}

export interface TaskRecord {
  id: TaskId;
  api: TaskApi;
  spec: TaskSpec;
  status: TaskStatus;
  /** Lower runs first. */
  priority: number;
  attempts: number;
  maxAttempts: number;
  nodeId: NodeId | null;
  leaseExpiresAt: number | null;
  createdAt: number;
  /** A task still queued at this time fails with `no_capacity`. */
  deadlineAt: number;
  /** The least standing of the tabs (and guards) that may see it, as the caller asked; null: any in good standing. */
  minTier: Extract<Tier, 'trusted' | 'veteran'> | null;
  /** sha256 (hex) of the secret that lets the submitter cancel it; null: nobody may (OpenAI routes). */
  cancelTokenHash: string | null;
  finishedAt: number | null;
  result: TaskResultRecord | null;
  error: WireError | null;
}
