import { isTerminalStatus } from '@tessera/shared';
import type { Dispatcher } from './dispatcher.ts';
import type { TaskRecord } from './task-record.ts';
import type { TaskEvent } from './task-event.ts';

/** What the API routes need of the dispatcher: submit a task and hear how it goes. */
export type TaskSubmitter = Pick<Dispatcher, 'submit' | 'subscribe' | 'assertRoomFor' | 'cancel' | 'awaited'>;

export type TerminalTaskEvent = Exclude<TaskEvent, { type: 'chunk' }>;

/** The event that ended a finished task, from its record; undefined while it is open. */
export function terminalEventOf(record: TaskRecord): TerminalTaskEvent | undefined {
  switch (record.status) {
    case 'succeeded':
      return { type: 'succeeded', record };
    case 'cancelled':
      return { type: 'cancelled', record };
    case 'failed':
      return { type: 'failed', record, error: record.error ?? { code: 'internal_error', message: 'The task failed.', retryable: true } };
    default:
      return undefined;
  }
}

/**
 * Resolves with the task's terminal event; `onChunk` hears streamed text before it. The listener is
 * removed when the task ends or `signal` aborts (the caller went away; the task itself carries on).
 */
export function waitForTask(
  dispatcher: Pick<Dispatcher, 'subscribe'>,
  record: TaskRecord,
  onChunk?: (delta: string) => void,
  signal?: AbortSignal,
): Promise<TerminalTaskEvent | undefined> {
  if (isTerminalStatus(record.status)) return Promise.resolve(terminalEventOf(record));
  return new Promise((resolve) => {
    const unsubscribe = dispatcher.subscribe(record.id, (event) => {
      if (event.type === 'chunk') {
        onChunk?.(event.delta);
        return;
      }
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(event);
    });
    const onAbort = (): void => {
      unsubscribe();
      resolve(undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
