import { newTaskId, type ClusterMessage } from '@tessera/shared';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.ts';
import type { Cluster } from '../src/cluster/open-cluster.ts';
import { redactRedisUrl } from '../src/cluster/redis-connections.ts';
import { loadConfig } from '../src/config.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { freePort } from './support/free-port.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { describeWithRedis, testRedisPrefix, testRedisUrl } from './support/test-redis.ts';

const track = closeAfterEach();

function clusterOf(server: TestApp): Cluster {
  const { cluster } = server.app.tessera;
  if (cluster === undefined) throw new Error('the app runs without Redis');
  return cluster;
}

describe('a coordinator configured with a Redis', () => {
  it('refuses to start when Redis does not answer, naming the URL without its password', async () => {
    const url = `redis://:s3cret@127.0.0.1:${await freePort()}`;
    const config = loadConfig({}, { logLevel: 'silent', redisUrl: url });
    const failure = await buildApp({ config, logger: false, databaseFile: ':memory:' }).then(
      () => new Error('started'),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    const message = failure instanceof Error ? failure.message : '';
    expect(message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(TESSERA_REDIS_URL\) did not answer: connect ECONNREFUSED/);
    expect(message).not.toContain('s3cret');
    expect(redactRedisUrl('redis://127.0.0.1:6379/2')).toBe('redis://127.0.0.1:6379/2');
  });

  it('refuses a URL that is not redis:// or rediss://', () => {
    expect(() => loadConfig({ TESSERA_REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/redisUrl \(TESSERA_REDIS_URL\)/);
    expect(loadConfig({}).redisUrl).toBe('');
  });
});

describeWithRedis('cluster-channel.test.ts')('the cluster channel between instances', () => {
  it('delivers a parsed message to the other instance, not back to the sender', async () => {
    const prefix = testRedisPrefix();
    const a = track(await startTestApp({ redisUrl: testRedisUrl, redisPrefix: prefix }));
    const b = track(await startTestApp({ redisUrl: testRedisUrl, redisPrefix: prefix }));
    const heardByA: ClusterMessage[] = [];
    const heardByB: Array<{ message: ClusterMessage; from: string }> = [];
    // Only task events: on PostgreSQL the two form one network, and their guards' slots go round every second.
    const isTaskEvent = (message: ClusterMessage): boolean => message.event.startsWith('task:');
    clusterOf(a).channel.listen((message) => isTaskEvent(message) && heardByA.push(message));
    clusterOf(b).channel.listen((message, from) => isTaskEvent(message) && heardByB.push({ message, from }));

    const chunk: ClusterMessage = { event: 'task:chunk', payload: { taskId: newTaskId(), seq: 0, delta: 'Tessera is' } };
    const ended: ClusterMessage = {
      event: 'task:ended',
      payload: { taskId: chunk.payload.taskId, status: 'failed', error: { code: 'no_capacity', message: 'none', retryable: true } },
    };
    expect(await clusterOf(a).channel.publish(chunk)).toBe(true);
    expect(await clusterOf(a).channel.publish(ended)).toBe(true);
    await eventually(() => (heardByB.length === 2 ? true : undefined), 3000, 'both messages at B');
    expect(heardByB).toEqual([
      { message: chunk, from: clusterOf(a).instanceId },
      { message: ended, from: clusterOf(a).instanceId },
    ]);
    expect(heardByA).toEqual([]);
  });

  it('drops a malformed message with a log line and keeps delivering', async () => {
    const prefix = testRedisPrefix();
    const b = track(await startTestApp({ redisUrl: testRedisUrl, redisPrefix: prefix }));
    const channel = clusterOf(b).channel;
    const warn = vi.spyOn(b.app.log, 'warn');
    const heard: ClusterMessage[] = [];
    channel.listen((message) => heard.push(message));
    // Anyone who can reach Redis can publish: a raw client stands for a buggy or hostile one.
    const raw = new Redis(testRedisUrl ?? '');
    track({ close: () => raw.quit() });
    const taskId = newTaskId();
    const garbage = [
      'not json',
      JSON.stringify({ from: 'x', event: 'task:chunk', payload: { taskId: 'not-a-uuid', seq: 0, delta: 'x' } }),
      JSON.stringify({ from: 'x', event: 'task:explode', payload: {} }),
      JSON.stringify({ event: 'task:ended', payload: { taskId, status: 'succeeded' } }),
      JSON.stringify({ from: 'x', event: 'task:ended', payload: { taskId, status: 'succeeded', extra: true } }),
    ];
    for (const text of garbage) await raw.publish(`${prefix}:events`, text);
    await raw.publish(`${prefix}:events`, JSON.stringify({ from: 'x', event: 'task:ended', payload: { taskId, status: 'succeeded' } }));

    await eventually(() => (heard.length === 1 ? true : undefined), 3000, 'the valid message after the malformed ones');
    expect(heard).toEqual([{ event: 'task:ended', payload: { taskId, status: 'succeeded' } }]);
    expect(channel.dropped).toBe(garbage.length);
    const dropLines = warn.mock.calls.filter((call) => call[1] === 'dropped malformed cluster message');
    expect(dropLines).toHaveLength(garbage.length);
    expect(dropLines[0]?.[0]).toMatchObject({ reason: 'not JSON' });
    expect(dropLines[2]?.[0]).toMatchObject({ reason: "unknown event 'task:explode'" });
    // The instance is unharmed.
    expect((await fetch(`${b.url}/healthz`)).status).toBe(200);
  });
});
