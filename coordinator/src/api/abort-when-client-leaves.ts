import type { ServerResponse } from 'node:http';

/** Aborts when the caller's connection closes before the response was written in full. */
export function abortWhenClientLeaves(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
