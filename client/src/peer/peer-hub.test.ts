import { MODEL_CATALOG, TINY_GPT2_ID, newNodeId, newPeerSessionId, peerSignalRelayedSchema } from '@tessera/shared';
import type { NodeId, PeerSignal } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileClient } from './file-client.ts';
import { createModelSeeder } from './model-seeder.ts';
import { PeerHub } from './peer-hub.ts';
import { nodeWebRtc, opened } from '../../test-support/peer-testing.ts';

const wrtc = nodeWebRtc();
let hubs: PeerHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.map((hub) => hub.closeAll()));
  hubs = [];
});

/** Hubs wired through a relay that does what the coordinator does: stamps `from`, parses, delivers later. */
function network(ids: NodeId[], onInbound: (at: NodeId, from: NodeId) => void = () => {}): Map<NodeId, PeerHub> {
  const byId = new Map<NodeId, PeerHub>();
  for (const id of ids) {
    const hub = new PeerHub({
      wrtc,
      sendSignal: (signal: PeerSignal) => {
        const relayed = peerSignalRelayedSchema.parse(JSON.parse(JSON.stringify({ ...signal, from: id })));
        setTimeout(() => byId.get(signal.to)?.handleSignal(relayed), 0);
      },
      onInbound: (link, from) => {
        createModelSeeder({
          catalog: MODEL_CATALOG,
          has: () => true,
          readFile: async (_m, _p, _o, length) => new Uint8Array(length).fill(7),
        }).attach(link);
        onInbound(id, from);
      },
    });
    byId.set(id, hub);
    hubs.push(hub);
  }
  return byId;
}

describe('PeerHub', () => {
  it('opens a link to another tab through the relay and routes its signals by session', { timeout: 15_000 }, async () => {
    const [a, b] = [newNodeId(), newNodeId()];
    const inbound: [NodeId, NodeId][] = [];
    const net = network([a, b], (at, from) => inbound.push([at, from]));
    const link = net.get(a)?.connect(b);
    if (link === undefined) throw new Error('no hub');
    await opened(link);
    expect(inbound).toEqual([[b, a]]);
    expect(net.get(a)?.size).toBe(1);
    expect(net.get(b)?.size).toBe(1);
    const bytes = await createFileClient(link).request({ modelId: TINY_GPT2_ID, path: 'config.json', offset: 0, length: 100 }, 2_000);
    expect([...bytes].every((byte) => byte === 7)).toBe(true);

    link.close();
    await link.closed;
    expect(net.get(a)?.size).toBe(0);
  });

  it('ignores signals for unknown sessions unless they are offers', () => {
    const [a, b] = [newNodeId(), newNodeId()];
    const hub = network([a]).get(a);
    hub?.handleSignal({ to: a, from: b, sessionId: newPeerSessionId(), data: { type: 'answer', sdp: 'v=0' } });
    expect(hub?.size).toBe(0);
  });
});
