import { PeerError } from '@tessera/shared';
import type { PeerFrame } from '@tessera/shared';
import type { PeerLink } from './peer-link.ts';

export interface FileRange {
  modelId: string;
  path: string;
  offset: number;
  /** 1 … FILE_REQUEST_MAX_BYTES. */
  length: number;
}

/** Asks one seeder for byte ranges over one link; requests may overlap in time. */
export interface FileClient {
  /**
   * Resolves with exactly `length` bytes. Rejects with the seeder's `file:error` code, `peer_timeout`,
   * `peer_closed`, or `peer_frame_invalid` when the seeder breaks the chunk rules (a gap in `seq`, more
   * bytes than asked, a last chunk before `length` bytes).
   */
  request(range: FileRange, timeoutMs: number): Promise<Uint8Array<ArrayBuffer>>;
  /** Stops listening to the link and rejects open requests with `peer_closed`. */
  close(): void;
}

interface Pending {
  readonly bytes: Uint8Array<ArrayBuffer>;
  received: number;
  nextSeq: number;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly resolve: (bytes: Uint8Array<ArrayBuffer>) => void;
  readonly reject: (error: PeerError) => void;
}

export function createFileClient(link: PeerLink): FileClient {
  const pending = new Map<number, Pending>();
  let nextRequestId = 0;

  const settle = (requestId: number, outcome: { bytes: Uint8Array<ArrayBuffer> } | { error: PeerError }): void => {
    const request = pending.get(requestId);
    if (request === undefined) return;
    pending.delete(requestId);
    clearTimeout(request.timer);
    if ('bytes' in outcome) request.resolve(outcome.bytes);
    else request.reject(outcome.error);
  };

  const onFrame = (frame: PeerFrame): void => {
    switch (frame.type) {
      case 'file:request':
      case 'task:stream':
      case 'task:stream-end':
      case 'peer:status':
        return; // other listeners' business: the seeder, the direct stream, the neighbourhood
      case 'file:error':
        settle(frame.requestId, { error: new PeerError(frame.code, `Seeder: ${frame.message}`) });
        return;
      case 'file:chunk': {
        // Unknown ids are chunks of requests that already timed out: dropped.
        const request = pending.get(frame.requestId);
        if (request === undefined) return;
        const broken = (message: string) => settle(frame.requestId, { error: new PeerError('peer_frame_invalid', message) });
        if (frame.seq !== request.nextSeq) return broken(`chunk ${frame.seq} arrived where ${request.nextSeq} was due`);
        if (request.received + frame.bytes.byteLength > request.bytes.byteLength)
          return broken('the seeder sent more bytes than asked for');
        request.bytes.set(frame.bytes, request.received);
        request.received += frame.bytes.byteLength;
        request.nextSeq++;
        if (frame.last) {
          if (request.received !== request.bytes.byteLength)
            return broken(`the last chunk came after ${request.received} of ${request.bytes.byteLength} bytes`);
          settle(frame.requestId, { bytes: request.bytes });
        }
        return;
      }
      default: {
        const unhandled: never = frame;
        throw new Error(`Unhandled frame ${JSON.stringify(unhandled)}`);
      }
    }
  };

  const closeAll = (): void => {
    for (const requestId of [...pending.keys()])
      settle(requestId, { error: new PeerError('peer_closed', 'The link to the seeder closed.') });
  };
  const offFrame = link.on('frame', onFrame);
  const offClose = link.on('close', closeAll);

  return {
    request(range, timeoutMs) {
      if (link.state !== 'open') return Promise.reject(new PeerError('peer_closed', `The link to the seeder is ${link.state}.`));
      const requestId = nextRequestId;
      nextRequestId = (nextRequestId + 1) % 0x1_0000_0000;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => settle(requestId, { error: new PeerError('peer_timeout', `No complete answer for ${range.path} within ${timeoutMs} ms.`) }),
          timeoutMs,
        );
        pending.set(requestId, { bytes: new Uint8Array(range.length), received: 0, nextSeq: 0, timer, resolve, reject });
        link.send({ type: 'file:request', requestId, ...range }).catch((error: unknown) => {
          settle(requestId, { error: error instanceof PeerError ? error : new PeerError('peer_closed', 'The request could not be sent.') });
        });
      });
    },
    close() {
      offFrame();
      offClose();
      closeAll();
    },
  };
}
