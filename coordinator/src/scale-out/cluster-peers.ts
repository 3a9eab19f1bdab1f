import { MAX_SEEDERS_PER_SEEK, type NodeId, type PeerSignalRelayed } from '@tessera/shared';
import type { ClusterChannel } from '../cluster/cluster-channel.ts';
import type { Startable } from '../lifecycle/startable.ts';
import type { PeerSignalling, PeersElsewhere } from '../peers/peer-signalling.ts';
import type { WorkerRegistry } from '../workers/worker-registry.ts';

export interface ClusterPeersOptions {
  channel: ClusterChannel;
  registry: WorkerRegistry;
  /** The peer layer here: what other instances say about their tabs is recorded there. */
  peers: () => PeerSignalling;
  /** How often this instance names its seeders (and so says it lives). */
  advertiseMs?: number;
  now?: () => number;
}

interface Advertised {
  byModel: Record<string, readonly NodeId[]>;
  at: number;
}

/**
 * Peers across instances (scale-out). Every second each instance names, per model, the few tabs of its own
 * that could seed it, least introduced first; a tab elsewhere that seeks the model is introduced to them
 * after the tabs of its own instance. Introductions, signals and reports that concern a tab on another
 * instance go over the cluster channel to whichever instance holds it, which checks the pair the same way
 * it checks its own tabs' pairs; nobody needs to know where a tab is, since only the instance holding it
 * acts. A tab here that leaves is announced, so its peers elsewhere forget it. The seeders of an instance
 * that stopped advertising (it died) are no longer named after three silent seconds; a signal to a tab
 * that went with it is lost, and the WebRTC attempt times out on the tab as any failed link does.
 */
export class ClusterPeers implements PeersElsewhere, Startable {
  readonly #options: ClusterPeersOptions;
  readonly #now: () => number;
  readonly #advertised = new Map<string, Advertised>();
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => void) | undefined;

  constructor(options: ClusterPeersOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#unlisten = this.#options.channel.listen((message, from) => {
      const peers = this.#options.peers();
      switch (message.event) {
        case 'peers:seeders':
          this.#advertised.set(from, { byModel: message.payload.byModel, at: this.#now() });
          return;
        case 'peer:introduce':
          peers.introducedElsewhere(message.payload.remote, message.payload.local);
          return;
        case 'peer:signal':
          peers.signalFromElsewhere(message.payload);
          return;
        case 'peer:report':
          peers.reportedElsewhere(message.payload.about, message.payload.modelId, message.payload.reporterKey);
          return;
        case 'peer:gone':
          if (this.#options.registry.get(message.payload.nodeId) === undefined) peers.forget(message.payload.nodeId);
          return;
        default:
          return;
      }
    });
    this.#timer = setInterval(() => this.#beat(), this.#options.advertiseMs ?? 1000);
    this.#timer.unref();
    this.#beat();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unlisten?.();
  }

  seeders(modelId: string): readonly NodeId[] {
    const peers = this.#options.peers();
    const found: NodeId[] = [];
    for (const [instance, advertised] of this.#advertised) {
      if (!this.#live(instance)) continue;
      for (const nodeId of advertised.byModel[modelId] ?? []) if (!peers.isExcludedSeeder(nodeId, modelId)) found.push(nodeId);
    }
    return found.sort((a, b) => peers.introductions(a) - peers.introductions(b));
  }

  introduce(local: NodeId, remote: NodeId): void {
    void this.#options.channel.publish({ event: 'peer:introduce', payload: { local, remote } });
  }

  signal(signal: PeerSignalRelayed): void {
    void this.#options.channel.publish({ event: 'peer:signal', payload: signal });
  }

  report(about: NodeId, modelId: string, reporterKey: string): void {
    void this.#options.channel.publish({ event: 'peer:report', payload: { about, modelId, reporterKey } });
  }

  gone(nodeId: NodeId): void {
    void this.#options.channel.publish({ event: 'peer:gone', payload: { nodeId } });
  }

  #live(instance: string): boolean {
    const advertised = this.#advertised.get(instance);
    return advertised !== undefined && advertised.at >= this.#now() - 3 * (this.#options.advertiseMs ?? 1000);
  }

  /** Names this instance's seeders, and forgets the advertisements of instances that went silent. */
  #beat(): void {
    const peers = this.#options.peers();
    const candidates = new Map<string, NodeId[]>();
    for (const session of this.#options.registry.all()) {
      for (const [modelId, offered] of session.offeredModels) {
        if ((offered.state !== 'loaded' && offered.state !== 'cached') || peers.isExcludedSeeder(session.nodeId, modelId)) continue;
        let list = candidates.get(modelId);
        if (list === undefined) {
          list = [];
          candidates.set(modelId, list);
        }
        list.push(session.nodeId);
      }
    }
    const byModel: Record<string, NodeId[]> = {};
    for (const [modelId, list] of candidates)
      byModel[modelId] = list.sort((a, b) => peers.introductions(a) - peers.introductions(b)).slice(0, MAX_SEEDERS_PER_SEEK);
    void this.#options.channel.publish({ event: 'peers:seeders', payload: { byModel } });
    for (const [instance] of this.#advertised) if (!this.#live(instance)) this.#advertised.delete(instance);
  }
}
