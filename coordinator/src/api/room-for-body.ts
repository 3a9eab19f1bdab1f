import type { onRequestHookHandler } from 'fastify';
import type { Dispatcher } from '../tasks/dispatcher.ts';

/**
 * An `onRequest` hook for the routes that submit tasks: a client whose open tasks already hold as much
 * input as it may is refused (429 `client_queue_full`) on the body's declared length, before the body is
 * read or parsed, so a client over its bound costs the coordinator almost nothing. Bodies without a
 * declared length are weighed when the task is submitted instead.
 */
export function roomForBody(tasks: Pick<Dispatcher, 'assertRoomFor'>): onRequestHookHandler {
  return async (request) => {
    const declared = Number(request.headers['content-length']);
    // A body over the limit gets its 413 first: it would never be read anyway.
    if (!Number.isFinite(declared) || declared <= 0 || declared > request.routeOptions.bodyLimit) return;
    tasks.assertRoomFor(request.ip, declared);
  };
}
