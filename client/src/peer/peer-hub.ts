import { newPeerSessionId } from '@tessera/shared';
import type { NodeId, PeerSessionId, PeerSignal, PeerSignalRelayed } from '@tessera/shared';
import { createPeerLink, type PeerLink, type WebRtcImplementation } from './peer-link.ts';

export interface PeerHubOptions {
  /** Sends `peer:signal` through the coordinator (`CoordinatorConnection.signalPeer`). */
  sendSignal: (signal: PeerSignal) => void;
  /** Another tab opened a link to this one (its offer arrived); e.g. `seeder.attach(link)`. */
  onInbound: (link: PeerLink, from: NodeId) => void;
  iceServers?: RTCIceServer[];
  wrtc?: WebRtcImplementation;
  connectTimeoutMs?: number;
  /** Links open at once, both ways; offers beyond it are ignored (the offerer times out). Default 16. */
  maxLinks?: number;
}

interface Entry {
  readonly link: PeerLink;
  readonly remote: NodeId;
}

/**
 * This tab's WebRTC links, keyed by session id: `connect(to)` opens one as initiator, `handleSignal`
 * routes each relayed `peer:signal` to its link and opens a link for an unknown session's offer. A link
 * leaves the hub when it closes.
 */
export class PeerHub {
  readonly #options: PeerHubOptions;
  readonly #links = new Map<PeerSessionId, Entry>();
  #iceServers: RTCIceServer[];

  constructor(options: PeerHubOptions) {
    this.#options = options;
    this.#iceServers = options.iceServers ?? [];
  }

  /** STUN/TURN servers for links opened from now on (the coordinator sends them in `worker:welcome`). */
  set iceServers(servers: RTCIceServer[]) {
    this.#iceServers = servers;
  }

  /** Opens a link to an introduced tab; listen for `open` before sending. */
  connect(to: NodeId): PeerLink {
    const sessionId = newPeerSessionId();
    return this.#open(sessionId, to, true);
  }

  /** Routes a signal the coordinator relayed. Signals for unknown or closed sessions are dropped. */
  handleSignal(signal: PeerSignalRelayed): void {
    const entry = this.#links.get(signal.sessionId);
    if (entry !== undefined) {
      // The coordinator stamps `from`; a mismatch means another tab reused the session id.
      if (entry.remote === signal.from) entry.link.accept(signal.data);
      return;
    }
    if (signal.data.type !== 'offer' || this.#links.size >= (this.#options.maxLinks ?? 16)) return;
    const link = this.#open(signal.sessionId, signal.from, false);
    this.#options.onInbound(link, signal.from);
    link.accept(signal.data);
  }

  get size(): number {
    return this.#links.size;
  }

  /** Closes every link; resolves when all are released. */
  async closeAll(): Promise<void> {
    const links = [...this.#links.values()].map((entry) => entry.link);
    for (const link of links) link.close();
    await Promise.all(links.map((link) => link.closed));
  }

  #open(sessionId: PeerSessionId, remote: NodeId, initiator: boolean): PeerLink {
    const link = createPeerLink({
      initiator,
      signal: (data) => this.#options.sendSignal({ to: remote, sessionId, data }),
      iceServers: this.#iceServers,
      wrtc: this.#options.wrtc,
      connectTimeoutMs: this.#options.connectTimeoutMs,
    });
    this.#links.set(sessionId, { link, remote });
    link.on('close', () => {
      if (this.#links.get(sessionId)?.link === link) this.#links.delete(sessionId);
    });
    return link;
  }
}
