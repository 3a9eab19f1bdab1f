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
 * told to stop. Nobody serves, or is paid for, an answer no one will read. A caller that sent an
 * `Idempotency-Key` may come back for the same task (its client retries after a timeout): the task is
 * then kept for `graceMs`, and cancelled only if nobody waits on it by then.
 */
export function cancelWhenClientLeaves(
  response: ServerResponse,
  tasks: { cancel(id: TaskId, reason: string): unknown; awaited(id: TaskId): boolean },
  id: TaskId,
  graceMs = 0,
): AbortSignal {
  const signal = abortWhenClientLeaves(response);
  const cancel = (): void => {
    if (tasks.awaited(id)) return;
    try {
      tasks.cancel(id, 'the caller closed the connection');
    } catch {
      // The coordinator closed meanwhile (the callers' connections close with it) and its store with it: the
      // task stays open in the store, and the next start recovers it like any other.
    }
  };
  // Looked at after this turn even without a grace: the caller's own wait stops listening on the same abort.
  signal.addEventListener('abort', () => setTimeout(cancel, graceMs).unref(), { once: true });
  return signal;
}
