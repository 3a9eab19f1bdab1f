import type { TaskId } from '@tessera/shared';
import type { ServerResponse } from 'node:http';

/** Aborts when the caller's connection closes before the response was written in full. */
export function abortWhenClientLeaves(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * Aborts when the caller leaves, and cancels its task then: queued, it is dropped; running, its tab is
 * told to stop. Nobody serves, or is paid for, an answer no one will read.
 */
export function cancelWhenClientLeaves(
  response: ServerResponse,
  tasks: { cancel(id: TaskId, reason: string): unknown },
  id: TaskId,
): AbortSignal {
  const signal = abortWhenClientLeaves(response);
  signal.addEventListener('abort', () => tasks.cancel(id, 'the caller closed the connection'), { once: true });
  return signal;
}
