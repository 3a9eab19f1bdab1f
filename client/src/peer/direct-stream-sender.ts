import type { TaskAccept, TaskChunk, TaskId } from '@tessera/shared';
import type { DirectTextStream } from './direct-text-stream.ts';
import type { PeerLink } from './peer-link.ts';
import { waitAtMost } from './wait-at-most.ts';

export interface DirectStreamSenderOptions {
  taskId: TaskId;
  /** The link to the requesting tab; a rejection (no link in time) means the coordinator gets the text. */
  link: Promise<PeerLink>;
  /** The coordinator: chunks on fallback, lease renewals while the text goes peer to peer. */
  sink: { chunk(payload: TaskChunk): void; accept(payload: TaskAccept): void };
  /** How often the lease is renewed while no chunk reaches the coordinator. */
  renewEveryMs: number;
  /** When the text is done before the link opened, how long to wait for it before the coordinator gets the text. Default 3 s. */
  openWaitMs?: number;
  onFallback?: (reason: string) => void;
}

type Mode = 'waiting' | 'direct' | 'fallback';

/**
 * Sends a task's text to the tab that asked for it, in order, one `task:stream` frame per delta; while
 * the link is not open yet the text waits here. If the link fails (or never opens) everything so far is
 * replayed to the coordinator as `task:chunk`s from seq 0 and the rest follows there, so the caller always
 * gets the whole text one way or the other. While the text goes direct, `task:accept` renews the lease.
 */
export function createDirectStreamSender(options: DirectStreamSenderOptions): DirectTextStream {
  const { taskId, sink } = options;
  let mode: Mode = 'waiting';
  let link: PeerLink | null = null;
  const pieces: string[] = [];
  let framesSent = 0;
  let coordinatorSeq = 0;
  let chain: Promise<void> = Promise.resolve();
  let ended = false;
  let offClose: () => void = () => undefined;
  const renew = setInterval(() => {
    if (mode !== 'fallback') sink.accept({ taskId });
  }, options.renewEveryMs);

  const fallback = (reason: string): void => {
    if (mode === 'fallback') return;
    mode = 'fallback';
    options.onFallback?.(reason);
    for (const piece of pieces) sink.chunk({ taskId, seq: coordinatorSeq++, delta: piece });
  };

  const sendFrom = (index: number): void => {
    const open = link;
    if (open === null) return;
    chain = chain.then(async () => {
      if (mode !== 'direct') return;
      try {
        await open.send({ type: 'task:stream', taskId, seq: index, delta: pieces[index] ?? '' });
        framesSent = index + 1;
      } catch {
        fallback('the link closed while streaming');
      }
    });
  };

  const linkSettled = options.link.then(
    (opened) => {
      if (mode !== 'waiting') {
        return;
      }
      link = opened;
      mode = 'direct';
      for (let index = 0; index < pieces.length; index++) sendFrom(index);
      offClose = opened.on('close', () => {
        if (!ended) fallback('the link closed');
      });
    },
    (error: unknown) => fallback(error instanceof Error ? error.message : 'no link'),
  );

  return {
    push(delta) {
      pieces.push(delta);
      if (mode === 'direct') sendFrom(pieces.length - 1);
      else if (mode === 'fallback') sink.chunk({ taskId, seq: coordinatorSeq++, delta });
    },
    async end(status) {
      if (ended) return { direct: mode === 'direct' };
      if (status === 'abandoned' && mode !== 'direct') {
        // The coordinator took the task away (cancel, hand-off, failure): it wants nothing more about it.
        ended = true;
        mode = 'fallback';
        clearInterval(renew);
        return { direct: false };
      }
      if (mode === 'waiting') {
        await waitAtMost(linkSettled, options.openWaitMs ?? 3_000);
        if (mode === 'waiting') fallback('the link did not open in time');
      }
      await chain;
      ended = true;
      clearInterval(renew);
      offClose();
      if (mode === 'direct' && link !== null) {
        try {
          await link.send({ type: 'task:stream-end', taskId, chunks: framesSent, status });
        } catch {
          // The requester falls back to the coordinator's result in any case.
        }
      }
      return { direct: mode === 'direct' };
    },
  };
}
