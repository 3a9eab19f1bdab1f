import type { IncomingMessage } from 'node:http';

/** How much of a refused body the coordinator reads and throws away so the client can read the refusal. */
export const DISCARD_CAP_BYTES = 64 * 1024 * 1024;

/**
 * Reads the rest of a request body into the void, up to `capBytes`, and resolves when it ended (true) or
 * the cap was reached (false: the connection should close). A client still uploading when the server
 * answers and closes gets a reset (EPIPE) instead of the answer; draining first lets it read a 413.
 */
export function drainRequest(request: IncomingMessage, capBytes = DISCARD_CAP_BYTES): Promise<boolean> {
  if (request.complete || request.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    let discarded = 0;
    const done = (ended: boolean): void => {
      request.off('data', count);
      request.off('end', onEnd);
      request.off('error', onEnd);
      request.off('close', onEnd);
      resolve(ended);
    };
    const count = (chunk: Buffer): void => {
      discarded += chunk.length;
      if (discarded > capBytes) {
        request.pause();
        done(false);
      }
    };
    const onEnd = (): void => done(true);
    request.on('data', count);
    request.once('end', onEnd);
    request.once('error', onEnd);
    request.once('close', onEnd);
    request.resume();
  });
}
