import type { NodeId, PeerSeeders, PeerSignalRelayed } from '@tessera/shared';
import type { HandoffNeighbours } from './handoff-planner.ts';
import type { Seeder } from './model-fetcher.ts';
import type { PeerLink } from './peer-link.ts';
import type { PeerStatus } from './peer-network.ts';

/** A neighbour as the page lists it. */
export interface NeighbourView {
  readonly nodeId: NodeId;
  readonly link: Pick<PeerLink, 'state'>;
  readonly status: PeerStatus | null;
}

/**
 * What the rest of the tab uses of its peer layer: `PeerNetwork` implements it over WebRTC, tests fake
 * it. Signals and introductions come in from the coordinator; seeders, links for direct streams and
 * hand-off targets go out.
 */
export interface TabPeers extends HandoffNeighbours {
  /** From `worker:welcome`. */
  iceServers: RTCIceServer[];
  /** Payload bytes served to peers so far. */
  readonly servedBytes: number;
  readonly neighbours: readonly NeighbourView[];
  handleSignal(signal: PeerSignalRelayed): void;
  handleSeeders(answer: PeerSeeders): void;
  markSeedable(modelId: string): void;
  isSeedable(modelId: string): boolean;
  findSeeders(modelId: string): Promise<Seeder[]>;
  linkTo(nodeId: NodeId): Promise<PeerLink>;
  reportBadSeeder(nodeId: NodeId, modelId: string, reason: string): void;
  setStatus(status: PeerStatus): void;
  close(): Promise<void>;
}
