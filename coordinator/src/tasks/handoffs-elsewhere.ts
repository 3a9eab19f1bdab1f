import type { NodeId } from '@tessera/shared';
import type { TaskRecord } from './task-record.ts';

/**
 * Where a hand-off to a tab this process does not hold goes (scale-out: `ClusterHandoffs`): the instance
 * holding the tab decides whether it may take the task, and owns the task once it moved.
 */
export interface HandoffsElsewhere {
  /** Asks the instance holding `to` whether it may take the task: null, it may; otherwise why not. */
  ask(record: TaskRecord, from: NodeId, to: NodeId): Promise<string | null>;
  /** The task moved to `to` (committed): its instance owns it now and gives it to the tab. */
  moved(record: TaskRecord, to: NodeId, directTo: NodeId | null): void;
}
