import { MAX_SEEDERS_PER_SEEK, findModel } from '@tessera/shared';
import type {
  ModelCatalogEntry,
  NodeId,
  OfferedModel,
  PeerErrorCode,
  PeerReport,
  PeerSeek,
  PeerSeeders,
  PeerSignal,
  PeerSignalRelayed,
} from '@tessera/shared';

/** What the coordinator sends a tab on behalf of the peer layer. */
export type PeerToTabMessage = { event: 'peer:signal'; payload: PeerSignalRelayed } | { event: 'peer:seeders'; payload: PeerSeeders };

/** The part of a connected tab the peer layer needs; `WorkerSession` has this shape. */
export interface PeerTab {
  readonly nodeId: NodeId;
  readonly channel: { send(message: PeerToTabMessage): void };
  readonly offeredModels: ReadonlyMap<string, OfferedModel>;
  /** The tab's key (base64url): reports are counted per reporting key, not per connection. */
  readonly key: { readonly publicKey: string };
}

/** Looks tabs up by node id; `WorkerRegistry` has this shape. */
export interface PeerDirectory {
  get(nodeId: NodeId): PeerTab | undefined;
  all(): Iterable<PeerTab>;
}

/** Same shape as the verifier's outcomes: the gateway turns a refusal into `protocol:error`. */
export type PeerOutcome = { ok: true } | { ok: false; code: PeerErrorCode | 'model_not_found'; message: string };

export interface PeerSignallingOptions {
  directory: PeerDirectory;
  catalog: readonly ModelCatalogEntry[];
  /** Seeders named in one `peer:seeders` answer; at most MAX_SEEDERS_PER_SEEK. Default 4. */
  maxSeeders?: number;
  /** Introductions a tab keeps; past that, its oldest is forgotten (bounds memory per tab). Default 32. */
  maxIntroductionsPerTab?: number;
  /** Distinct reporting keys after which a seeder is no longer introduced for that model. Default 2. */
  badSeederReports?: number;
  /** Told of each accepted report, for logs and metrics. */
  onReport?: (report: PeerReport & { from: NodeId; excluded: boolean }) => void;
}

const OK: PeerOutcome = { ok: true };

/**
 * WebRTC signalling through the coordinator. A tab asks for seeders of a model (`peer:seek`); the answer
 * (`peer:seeders`) names up to `maxSeeders` other tabs that offer the model loaded or cached, and each
 * (seeker, seeder) pair is recorded as introduced. Only introduced pairs may exchange `peer:signal`: the
 * coordinator stamps `from` with the sender's node id and passes the signal on; anything else is refused.
 * A tab's introductions are forgotten when it leaves. Pure: no timers, no sockets.
 */
export class PeerSignalling {
  readonly #directory: PeerDirectory;
  readonly #catalog: readonly ModelCatalogEntry[];
  readonly #maxSeeders: number;
  readonly #maxIntroductions: number;
  /** Each tab's introduced peers, oldest first (a Set keeps insertion order). Symmetric. */
  readonly #introductions = new Map<NodeId, Set<NodeId>>();
  readonly #badSeederReports: number;
  /** Per seeder connection and model: the keys that reported it. Forgotten when the seeder leaves. */
  readonly #reports = new Map<NodeId, Map<string, Set<string>>>();
  readonly #onReport: PeerSignallingOptions['onReport'];

  constructor(options: PeerSignallingOptions) {
    this.#directory = options.directory;
    this.#catalog = options.catalog;
    this.#maxSeeders = Math.max(1, Math.min(options.maxSeeders ?? 4, MAX_SEEDERS_PER_SEEK));
    this.#maxIntroductions = Math.max(1, options.maxIntroductionsPerTab ?? 32);
    this.#badSeederReports = Math.max(1, options.badSeederReports ?? 2);
    this.#onReport = options.onReport;
  }

  /** Answers `peer:seek` with `peer:seeders` and introduces the seeker to each seeder named. */
  seek(seeker: PeerTab, request: PeerSeek): PeerOutcome {
    const model = findModel(this.#catalog, request.modelId);
    if (model === undefined)
      return { ok: false, code: 'model_not_found', message: `No model ${request.modelId.slice(0, 200)} is in the catalog.` };
    const seeders: NodeId[] = [];
    // Only mirrored models list files with hashes; without them a fetcher could not check a seeder's bytes.
    if (model.files.length > 0) {
      const candidates: PeerTab[] = [];
      for (const tab of this.#directory.all()) {
        if (tab.nodeId === seeker.nodeId || this.isExcludedSeeder(tab.nodeId, model.id)) continue;
        const state = tab.offeredModels.get(model.id)?.state;
        if (state === 'loaded' || state === 'cached') candidates.push(tab);
      }
      // Spread the load: tabs with the fewest introductions first (stable for equal counts).
      candidates.sort((a, b) => this.#count(a.nodeId) - this.#count(b.nodeId));
      for (const tab of candidates.slice(0, this.#maxSeeders)) {
        this.#introduce(seeker.nodeId, tab.nodeId);
        seeders.push(tab.nodeId);
      }
    }
    seeker.channel.send({ event: 'peer:seeders', payload: { modelId: model.id, seeders } });
    return OK;
  }

  /** Passes a `peer:signal` on to its target, stamped with the sender, if the two were introduced. */
  relay(sender: PeerTab, signal: PeerSignal): PeerOutcome {
    if (!this.introduced(sender.nodeId, signal.to)) {
      return { ok: false, code: 'peer_not_introduced', message: `Tab ${signal.to} was not introduced to this tab; send peer:seek first.` };
    }
    const target = this.#directory.get(signal.to);
    if (target === undefined) {
      this.#unlink(sender.nodeId, signal.to);
      return { ok: false, code: 'peer_unavailable', message: `Tab ${signal.to} is not connected.` };
    }
    target.channel.send({
      event: 'peer:signal',
      payload: { to: signal.to, from: sender.nodeId, sessionId: signal.sessionId, data: signal.data },
    });
    return OK;
  }

  /**
   * Introduces two tabs for another reason than seeding: a worker and the tab that asked for its task's
   * text directly, or hand-off neighbours. The pair may then signal each other.
   */
  introduce(a: NodeId, b: NodeId): void {
    if (a !== b) this.#introduce(a, b);
  }

  /**
   * `peer:report`: a tab says an introduced seeder served bad bytes. Only introduced pairs may report, and
   * each reporting key counts once per seeder and model; at `badSeederReports` the seeder is no longer
   * introduced for that model. A single tab cannot get an honest seeder excluded by itself (the default
   * needs two keys), and a seeder that lies to many fetchers is cut off quickly.
   */
  report(reporter: PeerTab, report: PeerReport): PeerOutcome {
    if (!this.introduced(reporter.nodeId, report.about)) {
      return {
        ok: false,
        code: 'peer_not_introduced',
        message: `Tab ${report.about} was not introduced to this tab; only a tab's introduced peers can be reported.`,
      };
    }
    const model = findModel(this.#catalog, report.modelId);
    if (model === undefined)
      return { ok: false, code: 'model_not_found', message: `No model ${report.modelId.slice(0, 200)} is in the catalog.` };
    let byModel = this.#reports.get(report.about);
    if (byModel === undefined) {
      byModel = new Map();
      this.#reports.set(report.about, byModel);
    }
    let keys = byModel.get(model.id);
    if (keys === undefined) {
      keys = new Set();
      byModel.set(model.id, keys);
    }
    keys.add(reporter.key.publicKey);
    this.#onReport?.({ ...report, modelId: model.id, from: reporter.nodeId, excluded: this.isExcludedSeeder(report.about, model.id) });
    return OK;
  }

  /** Whether enough distinct tabs reported this seeder for this model. */
  isExcludedSeeder(nodeId: NodeId, modelId: string): boolean {
    return (this.#reports.get(nodeId)?.get(modelId)?.size ?? 0) >= this.#badSeederReports;
  }

  /** Whether two tabs may signal each other. */
  introduced(a: NodeId, b: NodeId): boolean {
    return a !== b && (this.#introductions.get(a)?.has(b) ?? false);
  }

  /** Forgets every introduction of a tab that left. */
  forget(nodeId: NodeId): void {
    this.#reports.delete(nodeId);
    const peers = this.#introductions.get(nodeId);
    if (peers === undefined) return;
    for (const peer of peers) this.#introductions.get(peer)?.delete(nodeId);
    for (const peer of peers) if (this.#introductions.get(peer)?.size === 0) this.#introductions.delete(peer);
    this.#introductions.delete(nodeId);
  }

  /** Tabs with at least one introduction; for tests and metrics. */
  get size(): number {
    return this.#introductions.size;
  }

  #count(nodeId: NodeId): number {
    return this.#introductions.get(nodeId)?.size ?? 0;
  }

  #introduce(a: NodeId, b: NodeId): void {
    this.#add(a, b);
    this.#add(b, a);
  }

  #add(owner: NodeId, peer: NodeId): void {
    let peers = this.#introductions.get(owner);
    if (peers === undefined) {
      peers = new Set();
      this.#introductions.set(owner, peers);
    }
    peers.delete(peer); // re-introducing refreshes the pair's age
    peers.add(peer);
    while (peers.size > this.#maxIntroductions) {
      const oldest = peers.values().next().value;
      if (oldest === undefined) break;
      this.#unlink(owner, oldest);
    }
  }

  #unlink(a: NodeId, b: NodeId): void {
    for (const [owner, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      const peers = this.#introductions.get(owner);
      peers?.delete(peer);
      if (peers?.size === 0) this.#introductions.delete(owner);
    }
  }
}
