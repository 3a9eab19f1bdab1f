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

/**
 * Tabs connected to other coordinator instances (scale-out; `ClusterPeers`): a seeker may be introduced to
 * them, and signals and reports about them go through the instance that holds them.
 */
export interface PeersElsewhere {
  /** Tabs elsewhere that could seed `modelId`, least introduced first. */
  seeders(modelId: string): readonly NodeId[];
  /** Tells the instance holding `remote` that it was introduced to `local`, a tab here. */
  introduce(local: NodeId, remote: NodeId): void;
  /** Passes a signal on to the instance holding its target. */
  signal(signal: PeerSignalRelayed): void;
  /** Passes a report about a tab elsewhere on to the instance holding it, which counts it. */
  report(about: NodeId, modelId: string, reporterKey: string): void;
  /** A tab here that had peers elsewhere left. */
  gone(nodeId: NodeId): void;
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
  /** Tabs on other instances of the network; absent when this coordinator runs alone. */
  elsewhere?: () => PeersElsewhere | undefined;
}

const OK: PeerOutcome = { ok: true };

/**
 * WebRTC signalling through the coordinator. A tab asks for seeders of a model (`peer:seek`); the answer
 * (`peer:seeders`) names up to `maxSeeders` other tabs that offer the model loaded or cached, and each
 * (seeker, seeder) pair is recorded as introduced. Only introduced pairs may exchange `peer:signal`: the
 * coordinator stamps `from` with the sender's node id and passes the signal on; anything else is refused.
 * A tab's introductions are forgotten when it leaves. Pure: no timers, no sockets. In a network of several
 * instances, tabs elsewhere (`PeersElsewhere`) are introduced too, after the tabs here; each instance
 * records the pairs its own tabs are in, and counts reports about its own tabs.
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
  readonly #elsewhere: () => PeersElsewhere | undefined;

  constructor(options: PeerSignallingOptions) {
    this.#directory = options.directory;
    this.#catalog = options.catalog;
    this.#maxSeeders = Math.max(1, Math.min(options.maxSeeders ?? 4, MAX_SEEDERS_PER_SEEK));
    this.#maxIntroductions = Math.max(1, options.maxIntroductionsPerTab ?? 32);
    this.#badSeederReports = Math.max(1, options.badSeederReports ?? 2);
    this.#onReport = options.onReport;
    this.#elsewhere = options.elsewhere ?? (() => undefined);
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
      candidates.sort((a, b) => this.introductions(a.nodeId) - this.introductions(b.nodeId));
      for (const tab of candidates.slice(0, this.#maxSeeders)) {
        this.#introduce(seeker.nodeId, tab.nodeId);
        seeders.push(tab.nodeId);
      }
      // Then tabs on other instances: a network's seeders are wherever its tabs happen to connect.
      const elsewhere = this.#elsewhere();
      for (const nodeId of elsewhere?.seeders(model.id) ?? []) {
        if (seeders.length >= this.#maxSeeders) break;
        if (nodeId === seeker.nodeId || seeders.includes(nodeId)) continue;
        this.#introduce(seeker.nodeId, nodeId);
        elsewhere?.introduce(seeker.nodeId, nodeId);
        seeders.push(nodeId);
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
    const relayed: PeerSignalRelayed = { to: signal.to, from: sender.nodeId, sessionId: signal.sessionId, data: signal.data };
    const target = this.#directory.get(signal.to);
    if (target !== undefined) {
      target.channel.send({ event: 'peer:signal', payload: relayed });
      return OK;
    }
    // Introduced but not here: the pair spans instances, and the one holding the target delivers it.
    const elsewhere = this.#elsewhere();
    if (elsewhere !== undefined) {
      elsewhere.signal(relayed);
      return OK;
    }
    this.#unlink(sender.nodeId, signal.to);
    return { ok: false, code: 'peer_unavailable', message: `Tab ${signal.to} is not connected.` };
  }

  /**
   * Another instance introduced one of its tabs (`remote`) to `local`, a tab here: recorded, so `local`
   * may answer its signals. Ignored when `local` is not connected here.
   */
  introducedElsewhere(local: NodeId, remote: NodeId): void {
    if (local !== remote && this.#directory.get(local) !== undefined) this.#introduce(local, remote);
  }

  /** A signal relayed by another instance: delivered when its target is here and the pair was introduced. */
  signalFromElsewhere(signal: PeerSignalRelayed): void {
    if (!this.introduced(signal.to, signal.from)) return;
    this.#directory.get(signal.to)?.channel.send({ event: 'peer:signal', payload: signal });
  }

  /** A report another instance's tab made about a seeder here: counted once per key, as here. */
  reportedElsewhere(about: NodeId, modelId: string, reporterKey: string): void {
    if (this.#directory.get(about) !== undefined) this.#count(about, modelId, reporterKey);
  }

  /**
   * Introduces two tabs for another reason than seeding: a worker and the tab that asked for its task's
   * text directly, or hand-off neighbours. The pair may then signal each other.
   */
  introduce(a: NodeId, b: NodeId): void {
    if (a === b) return;
    this.#introduce(a, b);
    // One of the two may be on another instance (a direct stream or hand-off across instances): tell it.
    const elsewhere = this.#elsewhere();
    if (elsewhere === undefined) return;
    if (this.#directory.get(b) === undefined && this.#directory.get(a) !== undefined) elsewhere.introduce(a, b);
    else if (this.#directory.get(a) === undefined && this.#directory.get(b) !== undefined) elsewhere.introduce(b, a);
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
    // A seeder on another instance is counted there, where it is introduced from.
    if (this.#directory.get(report.about) === undefined) this.#elsewhere()?.report(report.about, model.id, reporter.key.publicKey);
    else this.#count(report.about, model.id, reporter.key.publicKey);
    this.#onReport?.({ ...report, modelId: model.id, from: reporter.nodeId, excluded: this.isExcludedSeeder(report.about, model.id) });
    return OK;
  }

  #count(about: NodeId, modelId: string, reporterKey: string): void {
    let byModel = this.#reports.get(about);
    if (byModel === undefined) {
      byModel = new Map();
      this.#reports.set(about, byModel);
    }
    let keys = byModel.get(modelId);
    if (keys === undefined) {
      keys = new Set();
      byModel.set(modelId, keys);
    }
    keys.add(reporterKey);
  }

  /** Whether enough distinct tabs reported this seeder for this model. */
  isExcludedSeeder(nodeId: NodeId, modelId: string): boolean {
    return (this.#reports.get(nodeId)?.get(modelId)?.size ?? 0) >= this.#badSeederReports;
  }

  /** Whether a tab may be reached for signals: it is here, or, with other instances, it may be there. */
  mayReach(nodeId: NodeId): boolean {
    return this.#directory.get(nodeId) !== undefined || this.#elsewhere() !== undefined;
  }

  /** Whether two tabs may signal each other. */
  introduced(a: NodeId, b: NodeId): boolean {
    return a !== b && (this.#introductions.get(a)?.has(b) ?? false);
  }

  /** Forgets every introduction of a tab that left (here, or elsewhere as another instance said). */
  forget(nodeId: NodeId): void {
    this.#reports.delete(nodeId);
    const peers = this.#introductions.get(nodeId);
    if (peers === undefined) return;
    const elsewhere = this.#elsewhere();
    if (elsewhere !== undefined && [...peers].some((peer) => this.#directory.get(peer) === undefined)) elsewhere.gone(nodeId);
    for (const peer of peers) this.#introductions.get(peer)?.delete(nodeId);
    for (const peer of peers) if (this.#introductions.get(peer)?.size === 0) this.#introductions.delete(peer);
    this.#introductions.delete(nodeId);
  }

  /** Tabs with at least one introduction; for tests and metrics. */
  get size(): number {
    return this.#introductions.size;
  }

  /** How many tabs `nodeId` is introduced to: seeders with fewer are named first. */
  introductions(nodeId: NodeId): number {
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
