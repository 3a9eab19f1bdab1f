// Test support: the peer layer at its seam, with neighbours a test sets and everything the tab told it recorded.
import { TesseraError } from '@tessera/shared';
import type { NodeId, PeerSeeders, PeerSignalRelayed } from '@tessera/shared';
import type { Seeder } from '../src/peer/model-fetcher.ts';
import type { PeerLink } from '../src/peer/peer-link.ts';
import type { PeerStatus } from '../src/peer/peer-network.ts';
import type { NeighbourView, TabPeers } from '../src/peer/tab-peers.ts';

/** A neighbour with an open link that says what it serves and how busy it is. */
export function openNeighbour(nodeId: NodeId, status: PeerStatus): NeighbourView {
  return { nodeId, link: { state: 'open' }, status };
}

export class FakeTabPeers implements TabPeers {
  iceServers: RTCIceServer[] = [];
  servedBytes = 0;
  neighbours: NeighbourView[] = [];
  /** Every status the tab published, in order. */
  readonly statuses: PeerStatus[] = [];
  readonly signals: PeerSignalRelayed[] = [];
  readonly seedable = new Set<string>();
  closed = false;

  handleSignal(signal: PeerSignalRelayed): void {
    this.signals.push(signal);
  }

  handleSeeders(_answer: PeerSeeders): void {}

  markSeedable(modelId: string): void {
    this.seedable.add(modelId);
  }

  isSeedable(modelId: string): boolean {
    return this.seedable.has(modelId);
  }

  async findSeeders(_modelId: string): Promise<Seeder[]> {
    return [];
  }

  linkTo(nodeId: NodeId): Promise<PeerLink> {
    return Promise.reject(new TesseraError('internal_error', `No link to ${nodeId} in this test.`));
  }

  reportBadSeeder(_nodeId: NodeId, _modelId: string, _reason: string): void {}

  setStatus(status: PeerStatus): void {
    this.statuses.push(status);
  }

  /** The same choice `PeerNetwork.neighbourFor` makes, over the neighbours the test set. */
  neighbourFor(
    modelId: string,
    want: 'idle' | 'room',
    exclude: ReadonlySet<NodeId>,
    reserved: ReadonlyMap<NodeId, number>,
  ): NeighbourView | undefined {
    return this.neighbours.find(({ nodeId, link, status }) => {
      if (link.state !== 'open' || status === null || status.leaving || exclude.has(nodeId) || !status.servingModels.includes(modelId))
        return false;
      const held = status.activeTasks + (reserved.get(nodeId) ?? 0);
      return want === 'idle' ? held === 0 : held < status.maxConcurrentTasks;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
