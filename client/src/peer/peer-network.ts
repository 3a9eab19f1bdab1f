import { PeerError, findModel } from '@tessera/shared';
import type {
  ModelCatalogEntry,
  NodeId,
  PeerReport,
  PeerSeek,
  PeerSeeders,
  PeerSignal,
  PeerSignalRelayed,
  PeerStatusFrame,
  TaskStreamEndFrame,
  TaskStreamFrame,
} from '@tessera/shared';
import { createFileClient } from './file-client.ts';
import type { Seeder } from './model-fetcher.ts';
import { catalogFile, type ModelFileStore } from '../model-files/model-file-store.ts';
import { createModelSeeder, type ModelSeeder } from './model-seeder.ts';
import { PeerHub } from './peer-hub.ts';
import type { TabPeers } from './tab-peers.ts';
import { waitAtMost } from './wait-at-most.ts';
import type { PeerLink, WebRtcImplementation } from './peer-link.ts';

/** The coordinator socket as the peer layer needs it (`connectionSinks(connection).peer` in a tab). */
export interface PeerSignalChannel {
  seekPeers(payload: PeerSeek): void;
  signalPeer(payload: PeerSignal): void;
  reportPeer(payload: PeerReport): void;
}

/** What this tab tells its neighbours about itself (`peer:status` less its type). */
export type PeerStatus = Omit<PeerStatusFrame, 'type'>;

/** A linked tab and what it last said about itself. */
export interface Neighbour {
  readonly nodeId: NodeId;
  readonly link: PeerLink;
  status: PeerStatus | null;
}

export interface PeerNetworkOptions {
  channel: PeerSignalChannel;
  catalog: readonly ModelCatalogEntry[];
  store: ModelFileStore;
  wrtc?: WebRtcImplementation;
  /** How long a `peer:seek` waits for `peer:seeders`, and a link for its data channel. Defaults 3 s and 8 s. */
  seekTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * How long `findSeeders` waits for seeders' links; those still opening then are left to open in the
   * background (they become neighbours) and the load goes on without them. Default 4 s.
   */
  seederWaitMs?: number;
  /** Links kept at once, both ways. Default 16. */
  maxLinks?: number;
  /** Text a worker streams straight to this tab (`task:stream`, `task:stream-end`). */
  onTaskStream?: (from: NodeId, frame: TaskStreamFrame | TaskStreamEndFrame) => void;
  /** Something worth a line in the page's log. */
  onEvent?: (message: string) => void;
}

const IDLE_STATUS: PeerStatus = { activeTasks: 0, maxConcurrentTasks: 0, servingModels: [], leaving: false };

/**
 * The tab's side of peer to peer: one `PeerHub` of links, a seeder answering every link with the files in
 * the store, the neighbours' `peer:status`, and the ways the rest of the page uses peers — seeders for a
 * model, an idle neighbour for a hand-off, a link to stream a task's text on. Lives in the page (WebRTC is
 * not available in Web Workers).
 */
export class PeerNetwork implements TabPeers {
  readonly #options: PeerNetworkOptions;
  readonly #hub: PeerHub;
  readonly #seeder: ModelSeeder;
  /** Models whose every file is in the store: what this tab seeds. */
  readonly #seedable = new Set<string>();
  readonly #neighbours = new Map<PeerLink, Neighbour>();
  readonly #seeks = new Map<string, Array<(seeders: NodeId[]) => void>>();
  /** Links being opened, so two callers wanting the same tab share one. */
  readonly #opening = new Map<NodeId, Promise<PeerLink>>();
  #status: PeerStatus = IDLE_STATUS;

  constructor(options: PeerNetworkOptions) {
    this.#options = options;
    this.#seeder = createModelSeeder({
      catalog: options.catalog,
      has: (modelId) => this.#seedable.has(modelId),
      readFile: (modelId, path, offset, length) => {
        const entry = findModel(options.catalog, modelId);
        const file = entry === undefined ? undefined : catalogFile(entry, path);
        if (file === undefined) return Promise.reject(new Error(`${path} is not a file of ${modelId}.`));
        return options.store.read(file.sha256, offset, length);
      },
    });
    this.#hub = new PeerHub({
      sendSignal: (signal) => options.channel.signalPeer(signal),
      onInbound: (link, from) => this.#adopt(link, from),
      wrtc: options.wrtc,
      connectTimeoutMs: options.connectTimeoutMs ?? 8_000,
      maxLinks: options.maxLinks ?? 16,
    });
  }

  /** From `worker:welcome`. */
  set iceServers(servers: RTCIceServer[]) {
    this.#hub.iceServers = servers;
  }

  /** Payload bytes served to peers so far. */
  get servedBytes(): number {
    return this.#seeder.servedBytes;
  }

  get neighbours(): readonly Neighbour[] {
    return [...this.#neighbours.values()];
  }

  /** Routes a relayed `peer:signal` (coordinator → this tab). */
  handleSignal(signal: PeerSignalRelayed): void {
    this.#hub.handleSignal(signal);
  }

  /** Routes `peer:seeders` to the `findSeeders` call waiting for it. */
  handleSeeders(answer: PeerSeeders): void {
    const waiting = this.#seeks.get(answer.modelId);
    const next = waiting?.shift();
    if (waiting?.length === 0) this.#seeks.delete(answer.modelId);
    next?.(answer.seeders);
  }

  /** This tab now has every file of the model in its store, and seeds it. */
  markSeedable(modelId: string): void {
    this.#seedable.add(modelId);
  }

  isSeedable(modelId: string): boolean {
    return this.#seedable.has(modelId);
  }

  /**
   * Asks the coordinator for tabs with the model and opens a link to each; resolves with those whose
   * link opened in time (possibly none: then the caller uses HTTP).
   */
  async findSeeders(modelId: string): Promise<Seeder[]> {
    const nodeIds = await new Promise<NodeId[]>((resolve) => {
      const timer = setTimeout(() => {
        const waiting = this.#seeks.get(modelId);
        const index = waiting?.indexOf(answer) ?? -1;
        if (index >= 0) waiting?.splice(index, 1);
        resolve([]);
      }, this.#options.seekTimeoutMs ?? 3_000);
      const answer = (seeders: NodeId[]): void => {
        clearTimeout(timer);
        resolve(seeders);
      };
      const waiting = this.#seeks.get(modelId) ?? [];
      waiting.push(answer);
      this.#seeks.set(modelId, waiting);
      this.#options.channel.seekPeers({ modelId });
    });
    // A seeder behind a network no link can cross must not hold the load up for the whole connect timeout.
    const ready: { nodeId: NodeId; link: PeerLink }[] = [];
    const opening = Promise.all(
      nodeIds.map((nodeId) =>
        this.linkTo(nodeId).then(
          (link) => void ready.push({ nodeId, link }),
          () => undefined,
        ),
      ),
    );
    await waitAtMost(opening, this.#options.seederWaitMs ?? 4_000);
    return ready.map(({ nodeId, link }) => ({ nodeId, files: createFileClient(link) }));
  }

  /** An open link to an introduced tab: an existing one, or a new one once its channel opens. */
  async linkTo(nodeId: NodeId): Promise<PeerLink> {
    for (const neighbour of this.#neighbours.values()) {
      if (neighbour.nodeId === nodeId && neighbour.link.state === 'open') return neighbour.link;
    }
    const pending = this.#opening.get(nodeId);
    if (pending !== undefined) return pending;
    const link = this.#hub.connect(nodeId);
    this.#adopt(link, nodeId);
    const opening = opened(link).then(() => link);
    this.#opening.set(nodeId, opening);
    try {
      return await opening;
    } finally {
      this.#opening.delete(nodeId);
    }
  }

  /** Tells the coordinator that a seeder served bytes that failed the catalog's hash. */
  reportBadSeeder(nodeId: NodeId, modelId: string, reason: string): void {
    this.#options.channel.reportPeer({ about: nodeId, modelId, reason: reason.slice(0, 500) });
    this.#options.onEvent?.(`Reported seeder ${nodeId.slice(0, 8)}: ${reason}`);
  }

  /** Sets what this tab says about itself; neighbours hear of every change. */
  setStatus(status: PeerStatus): void {
    if (sameStatus(status, this.#status)) return;
    this.#status = status;
    for (const neighbour of this.#neighbours.values()) this.#sendStatus(neighbour.link);
  }

  /**
   * A neighbour serving the model that can take one more task: `idle` ones hold nothing at all (a busy tab
   * must not just move its queue into another queue), `room` ones have a free slot (a leaving tab places
   * what it can). `reserved` counts tasks already offered to each neighbour and not yet answered.
   */
  neighbourFor(
    modelId: string,
    want: 'idle' | 'room',
    exclude: ReadonlySet<NodeId>,
    reserved: ReadonlyMap<NodeId, number>,
  ): Neighbour | undefined {
    for (const neighbour of this.#neighbours.values()) {
      const status = neighbour.status;
      if (neighbour.link.state !== 'open' || status === null || status.leaving || exclude.has(neighbour.nodeId)) continue;
      if (!status.servingModels.includes(modelId)) continue;
      const held = status.activeTasks + (reserved.get(neighbour.nodeId) ?? 0);
      if (want === 'idle' ? held === 0 : held < status.maxConcurrentTasks) return neighbour;
    }
    return undefined;
  }

  /** Closes every link (the tab leaves). */
  async close(): Promise<void> {
    await this.#hub.closeAll();
    this.#neighbours.clear();
  }

  #adopt(link: PeerLink, nodeId: NodeId): void {
    const neighbour: Neighbour = { nodeId, link, status: null };
    this.#neighbours.set(link, neighbour);
    this.#evictBeyond((this.#options.maxLinks ?? 16) - 1, link);
    this.#seeder.attach(link);
    link.on('open', () => this.#sendStatus(link));
    link.on('frame', (frame) => {
      switch (frame.type) {
        case 'peer:status':
          neighbour.status = {
            activeTasks: frame.activeTasks,
            maxConcurrentTasks: frame.maxConcurrentTasks,
            servingModels: frame.servingModels,
            leaving: frame.leaving,
          };
          return;
        case 'task:stream':
        case 'task:stream-end':
          this.#options.onTaskStream?.(nodeId, frame);
          return;
        default:
          return; // file frames: the seeder and the file clients listen themselves
      }
    });
    link.on('error', (error) => this.#options.onEvent?.(`Link to ${nodeId.slice(0, 8)} failed: ${error.code}`));
    link.on('close', () => this.#neighbours.delete(link));
  }

  /**
   * Keeps at most `keep` links besides `spare` by closing the least recently used: a worker serving many
   * pages would otherwise pile up links, and the hub refuses inbound offers once it is full.
   */
  #evictBeyond(keep: number, spare: PeerLink): void {
    while (this.#neighbours.size > Math.max(1, keep)) {
      let oldest: Neighbour | undefined;
      for (const candidate of this.#neighbours.values())
        if (candidate.link !== spare && (oldest === undefined || candidate.link.lastActivityAt < oldest.link.lastActivityAt))
          oldest = candidate;
      if (oldest === undefined) return;
      this.#neighbours.delete(oldest.link);
      oldest.link.close();
    }
  }

  #sendStatus(link: PeerLink): void {
    if (link.state !== 'open') return;
    link.send({ type: 'peer:status', ...this.#status }).catch(() => undefined);
  }
}

function sameStatus(a: PeerStatus, b: PeerStatus): boolean {
  return (
    a.activeTasks === b.activeTasks &&
    a.maxConcurrentTasks === b.maxConcurrentTasks &&
    a.leaving === b.leaving &&
    a.servingModels.join('\n') === b.servingModels.join('\n')
  );
}

/** Resolves when the link opens; rejects with its error or when it closes first. */
export function opened(link: PeerLink): Promise<void> {
  if (link.state === 'open') return Promise.resolve();
  if (link.state === 'closed') return Promise.reject(new PeerError('peer_closed', 'The link is closed.'));
  return new Promise((resolve, reject) => {
    const offOpen = link.on('open', () => {
      offOpen();
      offClose();
      resolve();
    });
    const offClose = link.on('close', () => {
      offOpen();
      offClose();
      reject(new PeerError('peer_connection_failed', 'The link closed before it opened.'));
    });
  });
}
