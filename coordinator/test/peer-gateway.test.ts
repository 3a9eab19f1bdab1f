import { TINY_GPT2_ID, newPeerSessionId } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp } from './support/test-app.ts';

const track = closeAfterEach();
const offer = { type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };

describe('peer signalling over the worker socket', () => {
  it('introduces seeders and relays signals only between introduced tabs, stamping the sender', async () => {
    const server = track(await startTestApp());
    const tab = (models = [loaded(TINY_GPT2_ID)]) => track(new ScriptedTab({ url: server.url, models, onAssign: answerHonestly }));
    const seeker = tab([]);
    const seeder = tab();
    const stranger = tab([]);
    await Promise.all([seeker.ready(), seeder.ready(), stranger.ready()]);
    // The seeder must have passed its known-answer check before it is offered as a source.
    await eventually(() => (server.app.tessera.registry.get(seeder.nodeId)?.models.size === 1 ? true : undefined), 3000, 'seeder serving');

    seeker.socket.emit('peer:seek', { modelId: TINY_GPT2_ID });
    const seeders = await eventually(() => seeker.received.find((m) => m.event === 'peer:seeders'), 3000, 'peer:seeders');
    expect(seeders.payload).toEqual({ modelId: TINY_GPT2_ID, seeders: [seeder.nodeId] });

    const sessionId = newPeerSessionId();
    seeker.socket.emit('peer:signal', { to: seeder.nodeId, sessionId, data: offer });
    const relayed = await eventually(() => seeder.received.find((m) => m.event === 'peer:signal'), 3000, 'relayed signal');
    expect(relayed.payload).toEqual({ to: seeder.nodeId, from: seeker.nodeId, sessionId, data: offer });

    // Not introduced: refused, and nothing reaches the seeder.
    stranger.socket.emit('peer:signal', { to: seeder.nodeId, sessionId: newPeerSessionId(), data: offer });
    await eventually(
      () => stranger.received.find((m) => m.event === 'protocol:error' && m.payload.error.code === 'peer_not_introduced'),
      3000,
      'refusal',
    );
    // A tab may not claim to be someone else.
    // Deliberately off-schema (`from` is the coordinator's to set); JSON round trip drops the static type.
    stranger.socket.emit('peer:signal', JSON.parse(JSON.stringify({ to: seeder.nodeId, from: seeker.nodeId, sessionId, data: offer })));
    await eventually(
      () => (stranger.received.filter((m) => m.event === 'protocol:error').length >= 2 ? true : undefined),
      3000,
      'spoof refused',
    );
    expect(seeder.received.filter((m) => m.event === 'peer:signal')).toHaveLength(1);

    // Once the seeder leaves, the pair is forgotten.
    seeder.close();
    await eventually(() => (server.app.tessera.registry.get(seeder.nodeId) === undefined ? true : undefined), 3000, 'seeder gone');
    seeker.socket.emit('peer:signal', { to: seeder.nodeId, sessionId, data: offer });
    const refusal = await eventually(() => seeker.received.find((m) => m.event === 'protocol:error'), 3000, 'refusal after leave');
    expect(['peer_not_introduced', 'peer_unavailable']).toContain(refusal.payload.error.code);
  });

  it('bounds the peer messages one tab may send per second; the ones over it change nothing', async () => {
    const server = track(await startTestApp({ peerMessagesPerSecond: 5 }));
    const seeker = track(new ScriptedTab({ url: server.url, models: [], onAssign: answerHonestly }));
    const seeder = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await Promise.all([seeker.ready(), seeder.ready()]);
    await eventually(() => (server.app.tessera.registry.get(seeder.nodeId)?.models.size === 1 ? true : undefined), 3000, 'seeder serving');

    for (let i = 0; i < 12; i++) seeker.socket.emit('peer:seek', { modelId: TINY_GPT2_ID });
    const answered = () => seeker.received.filter((m) => m.event === 'peer:seeders').length;
    const limited = () => seeker.received.filter((m) => m.event === 'protocol:error' && m.payload.error.code === 'rate_limited').length;
    await eventually(() => (answered() + limited() === 12 ? true : undefined), 3000, 'every seek answered or refused');
    expect(answered()).toBe(5);
    expect(limited()).toBe(7);
    // Another tab's budget is its own.
    seeder.socket.emit('peer:seek', { modelId: TINY_GPT2_ID });
    await eventually(() => seeder.received.find((m) => m.event === 'peer:seeders'), 3000, 'the other tab is not limited');
    // The next second, the tab may seek again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    seeker.socket.emit('peer:seek', { modelId: TINY_GPT2_ID });
    await eventually(() => (answered() === 6 ? true : undefined), 3000, 'a seek after the window');
  });
});
