import type { NodeId, TaskSpec } from '@tessera/shared';
import type { TaskApi, TaskRecord } from './task-record.ts';

/** What an API route asks the dispatcher to run (`Dispatcher.submit`). */
export type SubmitRequest = {
  api: TaskApi;
  spec: TaskSpec;
  priority: number;
  directTo?: NodeId | null;
  /** Queue it even when no tab could serve its model now (it waits up to the queue timeout for one). */
  waitForTab?: boolean;
  minTier?: TaskRecord['minTier'];
  cancelTokenHash?: string | null;
  /** Who asks (an address), for the per-client memory bound. */
  client?: string;
};
