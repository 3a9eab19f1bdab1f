import type { TabPeers } from '../peer/tab-peers.ts';

/** What the page shows about this tab's peers. */
export interface PeerSummary {
  /** False when peers are off (`?peers=0`) or the browser has no WebRTC. */
  enabled: boolean;
  neighbours: {
    nodeId: string;
    activeTasks: number | null;
    maxConcurrentTasks: number | null;
    servingModels: readonly string[];
    leaving: boolean;
  }[];
  /** Model bytes this tab sent to peers. */
  servedBytes: number;
}

export const NO_PEERS: PeerSummary = { enabled: false, neighbours: [], servedBytes: 0 };

/** The open links of `peers` and what each neighbour last said about itself. */
export function summarizePeers(peers: Pick<TabPeers, 'servedBytes' | 'neighbours'> | null): PeerSummary {
  if (peers === null) return NO_PEERS;
  return {
    enabled: true,
    servedBytes: peers.servedBytes,
    neighbours: peers.neighbours
      .filter((neighbour) => neighbour.link.state === 'open')
      .map((neighbour) => ({
        nodeId: neighbour.nodeId,
        activeTasks: neighbour.status?.activeTasks ?? null,
        maxConcurrentTasks: neighbour.status?.maxConcurrentTasks ?? null,
        servingModels: neighbour.status?.servingModels ?? [],
        leaving: neighbour.status?.leaving ?? false,
      })),
  };
}
