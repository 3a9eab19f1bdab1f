import SimplePeer from 'simple-peer';
import { PeerError, decodePeerFrame, encodePeerFrame, peerSignalDataSchema } from '@tessera/shared';
import type { PeerFrame, PeerSignalData } from '@tessera/shared';

export type PeerLinkState = 'connecting' | 'open' | 'closed';

/** Events of a `PeerLink`. `error` always comes before the `close` it causes; `close` comes exactly once. */
export interface PeerLinkEvents {
  /** The data channel is open: `send` works from now on. */
  open: () => void;
  /** A frame arrived and decoded; anything that does not decode fails the link instead. */
  frame: (frame: PeerFrame) => void;
  /** Why the link failed: `peer_frame_invalid`, `peer_connection_failed` or `peer_timeout`. */
  error: (error: PeerError) => void;
  close: () => void;
}

/** The WebRTC implementation simple-peer drives: the browser's own by default, `@roamhq/wrtc` in Node. */
export type WebRtcImplementation = NonNullable<SimplePeer.Options['wrtc']>;

export interface PeerLinkOptions {
  /** The side that makes the offer (the tab that asked the coordinator for seeders). */
  initiator: boolean;
  /** Called with each offer, answer and ICE candidate to pass to the other tab (`peer:signal`). */
  signal: (data: PeerSignalData) => void;
  /** STUN/TURN servers; none (the default) means host candidates only, as in tests. */
  iceServers?: RTCIceServer[];
  /** Required outside browsers (`import wrtc from '@roamhq/wrtc'`). */
  wrtc?: WebRtcImplementation;
  /** The link fails with `peer_timeout` if the data channel is not open by then. Default 15 s. */
  connectTimeoutMs?: number;
  /** Frames queued in the link (beyond the data channel's own 64 KiB buffer) before `send` waits. Default 8. */
  maxQueuedFrames?: number;
}

/**
 * A typed WebRTC data channel to one peer tab, carrying `PeerFrame`s (shared/src/peer/peer-frames.ts).
 * See client/src/peer/README.md for the events, errors and backpressure rules.
 */
export interface PeerLink {
  readonly state: PeerLinkState;
  /** Bytes accepted by the data channel but not yet sent on the wire. */
  readonly bufferedAmount: number;
  /** `performance.now()` of the last frame sent or received (or of the link's creation). */
  readonly lastActivityAt: number;
  /** Resolves once the link is closed and its connection released. */
  readonly closed: Promise<void>;
  /** Passes on a signal the other tab emitted (relayed by the coordinator, already schema-checked). */
  accept(signal: PeerSignalData): void;
  /**
   * Sends one frame. Resolves when the link can take the next one: at once while the data channel's
   * buffer is under 64 KiB and the link's queue under `maxQueuedFrames`, else when they drained. Rejects
   * with `peer_frame_invalid` for a frame that does not encode (over 32 KiB, bad fields) and with
   * `peer_closed` when the link is not open or closes while waiting.
   */
  send(frame: PeerFrame): Promise<void>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<Event extends keyof PeerLinkEvents>(event: Event, listener: PeerLinkEvents[Event]): () => void;
  /** Closes the link; idempotent. `close` fires once the connection is released. */
  close(): void;
}

type Listeners = { [Event in keyof PeerLinkEvents]: Set<PeerLinkEvents[Event]> };

/** Opens a link; `wrtc` is needed outside browsers. Throws `peer_connection_failed` without WebRTC. */
export function createPeerLink(options: PeerLinkOptions): PeerLink {
  const listeners: Listeners = { open: new Set(), frame: new Set(), error: new Set(), close: new Set() };
  let state: PeerLinkState = 'connecting';
  let lastActivityAt = performance.now();
  let closeEmitted = false;
  let drain: Promise<void> | null = null;
  let rejectDrain: ((error: PeerError) => void) | null = null;
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  function emit<Event extends keyof PeerLinkEvents>(event: Event, ...args: Parameters<PeerLinkEvents[Event]>): void {
    for (const listener of [...listeners[event]]) {
      try {
        (listener as (...a: Parameters<PeerLinkEvents[Event]>) => void)(...args);
      } catch (error) {
        // A listener's bug must not break the link's bookkeeping; surface it as an uncaught error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  // simple-peer hands its options to readable-stream's Duplex, which takes `writableHighWaterMark`;
  // @types/simple-peer does not list it.
  const peerOptions: SimplePeer.Options & { writableHighWaterMark: number } = {
    initiator: options.initiator,
    config: { iceServers: options.iceServers ?? [] },
    wrtc: options.wrtc,
    // One frame per stream object: message boundaries are kept and the queue counts frames.
    objectMode: true,
    writableHighWaterMark: options.maxQueuedFrames ?? 8,
  };
  let peer: SimplePeer.Instance;
  try {
    peer = new SimplePeer(peerOptions);
  } catch (error) {
    throw new PeerError(
      'peer_connection_failed',
      `Cannot create a WebRTC connection: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
  }

  /** Fails the link: error first, then close. */
  const fail = (error: PeerError): void => {
    if (state === 'closed') return;
    emit('error', error);
    link.close();
  };

  const connectTimer = setTimeout(() => {
    fail(new PeerError('peer_timeout', `The data channel did not open within ${options.connectTimeoutMs ?? 15_000} ms.`));
  }, options.connectTimeoutMs ?? 15_000);

  peer.on('signal', (data: unknown) => {
    const checked = peerSignalDataSchema.safeParse(data);
    if (!checked.success) {
      fail(new PeerError('peer_connection_failed', 'WebRTC asked for renegotiation; Tessera links carry data only.'));
      return;
    }
    options.signal(checked.data);
  });
  const markOpen = (): void => {
    clearTimeout(connectTimer);
    if (state !== 'connecting') return;
    state = 'open';
    emit('open');
  };
  peer.on('connect', markOpen);
  peer.on('data', (data: unknown) => {
    // The other end may see its channel open (and send) before simple-peer says `connect` here; data
    // proves the channel is open, and writes made before `connect` are held by simple-peer until then.
    markOpen();
    if (state !== 'open') return;
    const decoded = decodePeerFrame(data);
    if (!decoded.ok) {
      fail(new PeerError('peer_frame_invalid', `The peer sent an invalid frame: ${decoded.reason}`));
      return;
    }
    lastActivityAt = performance.now();
    emit('frame', decoded.frame);
  });
  peer.on('drain', () => {
    drain = null;
    rejectDrain = null;
  });
  peer.on('error', (error: Error & { code?: unknown }) => {
    const code = typeof error.code === 'string' ? error.code : 'ERR_UNKNOWN';
    fail(new PeerError('peer_connection_failed', `${code}: ${error.message}`));
  });
  peer.on('close', () => {
    clearTimeout(connectTimer);
    state = 'closed';
    rejectDrain?.(new PeerError('peer_closed', 'The link closed while a frame waited to be sent.'));
    drain = null;
    rejectDrain = null;
    if (closeEmitted) return;
    closeEmitted = true;
    emit('close');
    resolveClosed();
  });

  const link: PeerLink = {
    get state() {
      return state;
    },
    get bufferedAmount() {
      return state === 'closed' ? 0 : peer.bufferSize;
    },
    get lastActivityAt() {
      return lastActivityAt;
    },
    closed,
    accept(signal) {
      if (state === 'closed') return;
      // simple-peer's typings want a full RTCIceCandidate; its JSON form is what it parses anyway.
      peer.signal(JSON.stringify(signal));
    },
    send(frame) {
      if (state !== 'open') return Promise.reject(new PeerError('peer_closed', `The link is ${state}.`));
      const encoded = encodePeerFrame(frame);
      if (!encoded.ok)
        return Promise.reject(new PeerError('peer_frame_invalid', `Refused to send an invalid ${frame.type} frame: ${encoded.reason}`));
      lastActivityAt = performance.now();
      // simple-peer's writable side holds the callback of a write while the channel's bufferedAmount is
      // over 64 KiB (until `bufferedamountlow`); `write` returns false once the queue is full.
      if (peer.write(encoded.bytes)) return Promise.resolve();
      drain ??= new Promise<void>((resolve, reject) => {
        rejectDrain = reject;
        peer.once('drain', () => resolve());
      });
      return drain;
    },
    on(event, listener) {
      listeners[event].add(listener);
      return () => {
        listeners[event].delete(listener);
      };
    },
    close() {
      if (state === 'closed') return;
      state = 'closed';
      clearTimeout(connectTimer);
      rejectDrain?.(new PeerError('peer_closed', 'The link was closed while a frame waited to be sent.'));
      drain = null;
      rejectDrain = null;
      peer.destroy();
    },
  };
  return link;
}
