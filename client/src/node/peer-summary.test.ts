import { newNodeId } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { NO_PEERS, summarizePeers } from './peer-summary.ts';

describe('summarizePeers', () => {
  it('lists open links only, with what each neighbour said of itself, and nothing without a peer layer', () => {
    const open = newNodeId();
    const silent = newNodeId();
    const summary = summarizePeers({
      servedBytes: 2048,
      neighbours: [
        { nodeId: open, link: { state: 'open' }, status: { activeTasks: 1, maxConcurrentTasks: 2, servingModels: ['m'], leaving: false } },
        { nodeId: newNodeId(), link: { state: 'connecting' }, status: null },
        { nodeId: silent, link: { state: 'open' }, status: null },
      ],
    });
    expect(summary).toEqual({
      enabled: true,
      servedBytes: 2048,
      neighbours: [
        { nodeId: open, activeTasks: 1, maxConcurrentTasks: 2, servingModels: ['m'], leaving: false },
        { nodeId: silent, activeTasks: null, maxConcurrentTasks: null, servingModels: [], leaving: false },
      ],
    });
    expect(summarizePeers(null)).toBe(NO_PEERS);
  });
});
