import { TINY_GPT2_ID, newTaskId, openAIErrorBodySchema } from '@tessera/shared';
import { expect, it } from 'vitest';
import type { Cluster } from '../src/cluster/open-cluster.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { ScriptedTab, newIdentity, type TabIdentity } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { describeWithRedis, testRedisPrefix, testRedisUrl } from './support/test-redis.ts';

const track = closeAfterEach();

/** Two coordinators, each with its own SQLite data directory, on one Redis under a prefix of their own. */
async function twoInstances(overrides: Record<string, unknown> = {}): Promise<[TestApp, TestApp]> {
  const shared = { redisUrl: testRedisUrl, redisPrefix: testRedisPrefix(), ...overrides };
  const a = track(await startTestApp(shared));
  const b = track(await startTestApp(shared));
  expect(a.dataDir).not.toBe(b.dataDir);
  return [a, b];
}

function clusterOf(server: TestApp): Cluster {
  const { cluster } = server.app.tessera;
  if (cluster === undefined) throw new Error('the app runs without Redis');
  return cluster;
}

function tab(server: TestApp, identity?: TabIdentity): ScriptedTab {
  return track(new ScriptedTab({ url: server.url, models: [], ...(identity === undefined ? {} : { identity }) }));
}

describeWithRedis('cluster-instances.test.ts')('several coordinator instances on one Redis', () => {
  it('share the HTTP rate limit: requests alternating between A and B get 429 after the limit in total', async () => {
    const [a, b] = await twoInstances({ rateLimitPerMinute: 4 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${(i % 2 === 0 ? a : b).url}/v1/models`)).status);
    // Each instance alone would have allowed all six (3 each, under 4).
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    for (const server of [a, b]) {
      const refused = await fetch(`${server.url}/api/v1/network`);
      expect(refused.status).toBe(429);
      expect(openAIErrorBodySchema.parse(await refused.json()).error).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    }
    // Routes outside the API are never limited.
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
  });

  it('reach any tab: one connected to B is listed by A and receives what A sends to its socket id', async () => {
    const [a, b] = await twoInstances();
    const onB = tab(b);
    await onB.ready();
    const socketId = onB.socket.id;
    expect(socketId).toBeDefined();

    const seenByA = await clusterOf(a).sockets.workers.fetchSockets();
    expect(seenByA.map((socket) => socket.id)).toContain(socketId);
    // The session (its tasks, its lease) stays with the instance the tab is connected to.
    expect(a.app.tessera.registry.get(onB.nodeId)).toBeUndefined();
    expect(b.app.tessera.registry.get(onB.nodeId)).toBeDefined();

    const cancel = { taskId: newTaskId(), reason: 'sent by instance A' };
    clusterOf(a)
      .sockets.workers.to(socketId ?? '')
      .emit('task:cancel', cancel);
    const heard = await eventually(() => onB.received.find((message) => message.event === 'task:cancel'), 3000, 'task:cancel from A');
    expect(heard.payload).toEqual(cancel);
  });

  it('closing one instance closes only its own tabs', async () => {
    const [a, b] = await twoInstances();
    const onA = tab(a);
    const onB = tab(b);
    await Promise.all([onA.ready(), onB.ready()]);
    const gone = new Promise((resolve) => onA.socket.on('disconnect', resolve));
    await a.close();
    await gone;
    // A plain disconnectSockets() on close would have reached B's tabs through the adapter too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(onB.socket.connected).toBe(true);
    expect(b.app.tessera.registry.get(onB.nodeId)).toBeDefined();
    const seenByB = await clusterOf(b).sockets.workers.fetchSockets();
    expect(seenByB.map((socket) => socket.id)).toEqual([onB.socket.id]);
  });

  it('share the peer-message budget of a tab key across instances; another key has its own', async () => {
    const [a, b] = await twoInstances({ peerMessagesPerSecond: 5 });
    const identity = newIdentity();
    const onA = tab(a, identity);
    const onB = tab(b, identity);
    const stranger = tab(a);
    await Promise.all([onA.ready(), onB.ready(), stranger.ready()]);

    const seek = { modelId: TINY_GPT2_ID };
    for (let i = 0; i < 6; i++) {
      onA.socket.emit('peer:seek', seek);
      onB.socket.emit('peer:seek', seek);
    }
    const count = (event: 'peer:seeders' | 'rate_limited'): number =>
      [onA, onB]
        .flatMap((one) => one.received)
        .filter((message) =>
          event === 'peer:seeders' ? message.event === event : message.event === 'protocol:error' && message.payload.error.code === event,
        ).length;
    await eventually(
      () => (count('peer:seeders') + count('rate_limited') === 12 ? true : undefined),
      3000,
      'every seek answered or refused',
    );
    // One key, one budget: per connection (or per instance) it would have been 6 + 6 answered.
    expect(count('peer:seeders')).toBe(5);
    expect(count('rate_limited')).toBe(7);

    stranger.socket.emit('peer:seek', seek);
    await eventually(() => stranger.received.find((message) => message.event === 'peer:seeders'), 3000, 'the other key is not limited');
  });
});
