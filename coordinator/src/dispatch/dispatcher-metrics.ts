import type { ErrorCode, TaskKind, TaskStatus } from '@tessera/shared';

/** What the dispatcher reports; prom-client behind it in the app, anything in tests. */
export interface DispatcherMetrics {
  taskSubmitted(kind: TaskKind, queued: number): void;
  taskAssigned(waitedMs: number, queued: number): void;
  taskRequeued(reason: ErrorCode): void;
  /** A tab gave a task it held to a peer (`task:handoff`). */
  taskHandedOff(): void;
  taskFinished(status: Extract<TaskStatus, 'succeeded' | 'failed' | 'cancelled'>, queued: number, totalMs?: number, completionTokens?: number): void;
  setQueued(queued: number): void;
}
