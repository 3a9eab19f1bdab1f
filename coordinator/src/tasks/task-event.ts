import type { WireError } from '@tessera/shared';
import type { TaskRecord } from './task-record.ts';

/** What a caller waiting on a task hears: streamed text, then exactly one terminal event. */
export type TaskEvent =
  | { type: 'chunk'; delta: string }
  | { type: 'succeeded'; record: TaskRecord }
  | { type: 'failed'; record: TaskRecord; error: WireError }
  | { type: 'cancelled'; record: TaskRecord };

export type TaskListener = (event: TaskEvent) => void;
