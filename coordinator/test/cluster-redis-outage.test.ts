import { spawn, type ChildProcess } from 'node:child_process';
import { TINY_GPT2_ID } from '@tessera/shared';
import { expect, it } from 'vitest';
import type { Cluster } from '../src/cluster/open-cluster.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { freePort } from './support/free-port.ts';
import { ScriptedTab } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { describeWithRedis, testRedisPrefix } from './support/test-redis.ts';

const track = closeAfterEach();

/** A Redis of this test's own (the shared test Redis must not be stopped): the same binary CI starts. */
async function startRedis(port: number): Promise<{ close(): Promise<void> }> {
  const child: ChildProcess = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.on('data', (data: Buffer) => {
      if (data.toString().includes('Ready to accept connections')) resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

function clusterOf(server: TestApp): Cluster {
  const { cluster } = server.app.tessera;
  if (cluster === undefined) throw new Error('the app runs without Redis');
  return cluster;
}

// Gated like the other cluster tests: where a test Redis is given, redis-server is installed.
describeWithRedis('cluster-redis-outage.test.ts')('when Redis goes away and comes back', () => {
  it('the API answers, peer limits hold per instance, and sharing resumes once Redis is back', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    track({ close: () => redis.close() });
    const shared = {
      redisUrl: `redis://127.0.0.1:${port}`,
      redisPrefix: testRedisPrefix(),
      rateLimitPerMinute: 100,
      peerMessagesPerSecond: 3,
    };
    const a = track(await startTestApp(shared));
    const b = track(await startTestApp(shared));
    const onA = track(new ScriptedTab({ url: a.url, models: [] }));
    const onB = track(new ScriptedTab({ url: b.url, models: [] }));
    await Promise.all([onA.ready(), onB.ready()]);

    await redis.close();
    await eventually(() => (clusterOf(a).redis.command.status === 'ready' ? undefined : true), 3000, 'A notices');

    // The API neither fails nor waits on Redis: the request is let through uncounted.
    const started = Date.now();
    expect((await fetch(`${a.url}/v1/models`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    // The peer limit still holds, counted by this instance alone meanwhile.
    for (let i = 0; i < 5; i++) onA.socket.emit('peer:seek', { modelId: TINY_GPT2_ID });
    const limited = await eventually(
      () => {
        const refused = onA.received.filter((m) => m.event === 'protocol:error' && m.payload.error.code === 'rate_limited').length;
        return refused + onA.received.filter((m) => m.event === 'peer:seeders').length === 5 ? refused : undefined;
      },
      3000,
      'seeks answered or refused',
    );
    expect(limited).toBe(2);

    redis = await startRedis(port);
    await eventually(
      () => (clusterOf(a).redis.command.status === 'ready' && clusterOf(b).redis.command.status === 'ready' ? true : undefined),
      10_000,
      'both instances reconnected',
    );
    // The adapter's subscriber came back too: A lists B's tab again and reaches it.
    const ids = await eventually(
      async () => {
        const sockets = await clusterOf(a).sockets.workers.fetchSockets();
        return sockets.length === 2 ? sockets.map((socket) => socket.id) : undefined;
      },
      10_000,
      'both tabs listed across instances',
    );
    expect(ids.sort()).toEqual([onA.socket.id, onB.socket.id].sort());
  });
});
