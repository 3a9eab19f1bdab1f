import { jobIdSchema, newNodeId, newTaskId } from '@tessera/shared';
import type { Capabilities, TaskAssign, TaskSpec, VerifyAssign, VerifyCancel, VerifyEvidence, WorkerWelcome } from '@tessera/shared';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { startFakeGateway, until } from '../../test-support/fake-gateway.ts';
import { ephemeralTabIdentity } from '../identity/tab-identity.ts';
import { connectionSinks } from './connection-sinks.ts';
import { CoordinatorConnection } from './coordinator-connection.ts';
import type { ConnectionState } from './coordinator-connection.ts';

const CAPABILITIES: Capabilities = {
  userAgent: 'test',
  hardwareConcurrency: 2,
  gpu: null,
  backends: ['wasm'],
  engines: ['transformers'],
  models: [],
  benchmarkTokensPerSecond: null,
  maxConcurrentTasks: 1,
};

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('CoordinatorConnection over a real socket.io link', () => {
  it('says hello with its public key, learns its node id, and carries the guard events both ways', async () => {
    const gateway = await startFakeGateway();
    const identity = await ephemeralTabIdentity();
    const assigns: VerifyAssign[] = [];
    const cancels: VerifyCancel[] = [];
    const states: ConnectionState[] = [];
    const connection = new CoordinatorConnection({
      origin: gateway.origin,
      hello: () => ({ role: 'guard', publicKey: identity.publicKey, capabilities: CAPABILITIES }),
      heartbeat: () => ({ activeTaskIds: [], models: [] }),
      onState: (state) => states.push(state),
    });
    connection.on('verify:assign', (assign) => assigns.push(assign));
    connection.on('verify:cancel', (cancel) => cancels.push(cancel));
    cleanup = async () => {
      connection.close();
      await gateway.close();
    };
    connection.connect();
    const tab = await gateway.tab();

    await until(() => gateway.received.length > 0, 'worker:hello');
    expect(gateway.received[0]).toMatchObject({ event: 'worker:hello', payload: { role: 'guard', publicKey: identity.publicKey } });
    expect(states).toEqual(['connecting', 'connected']);

    expect(connection.nodeId).toBeNull();
    const nodeId = newNodeId();
    tab.emit('worker:welcome', { nodeId, heartbeatIntervalMs: 60_000, leaseMs: 30_000, iceServers: [], directStreamKey: 'k'.repeat(22) });
    await until(() => connection.nodeId === nodeId, 'the welcome');

    const jobId = jobIdSchema.parse(crypto.randomUUID());
    const task: TaskSpec = { kind: 'embeddings', model: 'tessera/tiny-bert', texts: ['a'] };
    // An assignment that does not parse is ignored; the valid one arrives parsed.
    tab.emit('verify:assign', { jobId: 'not-a-uuid', leaseMs: 1000, task, claim: { kind: 'embeddings', vectors: [[1]] } });
    tab.emit('verify:assign', { jobId, leaseMs: 1000, task, claim: { kind: 'embeddings', vectors: [[1]] } });
    tab.emit('verify:cancel', { jobId, reason: 'the task was cancelled' });
    await until(() => cancels.length === 1, 'verify:cancel');
    expect(assigns.map((assign) => assign.jobId)).toEqual([jobId]);

    const sinks = connectionSinks(connection);
    const evidence: VerifyEvidence = { kind: 'embeddings', cosines: [1] };
    const signature = await identity.sign(new Uint8Array([1]));
    sinks.verify.verdict({ jobId, verdict: 'valid', reason: 'matches the guard', evidence, signature });
    // A verdict the coordinator would refuse goes out as the failed check it is.
    sinks.verify.verdict({ jobId, verdict: 'valid', reason: 'x'.repeat(501), evidence, signature });
    await until(() => gateway.received.length === 3, 'the verdicts');
    expect(gateway.received.slice(1)).toEqual([
      { event: 'verify:verdict', payload: { jobId, verdict: 'valid', reason: 'matches the guard', evidence, signature } },
      { event: 'verify:error', payload: { jobId, code: 'inference_failed', message: expect.stringContaining('invalid verdict') } },
    ]);

    tab.disconnect(true);
    await until(() => connection.nodeId === null, 'the disconnect');
  });

  it('hands each event only to its own handlers, until they unsubscribe, and heartbeats at the welcome interval', async () => {
    const gateway = await startFakeGateway();
    const identity = await ephemeralTabIdentity();
    const connection = new CoordinatorConnection({
      origin: gateway.origin,
      hello: () => ({ role: 'worker', publicKey: identity.publicKey, capabilities: CAPABILITIES }),
      heartbeat: () => ({ activeTaskIds: [], models: [{ id: 'tessera/tiny-gpt2', state: 'loaded', backend: 'wasm' }] }),
    });
    const welcomes: WorkerWelcome[] = [];
    const first: TaskAssign[] = [];
    const second: TaskAssign[] = [];
    connection.on('worker:welcome', (welcome) => welcomes.push(welcome));
    const stopFirst = connection.on('task:assign', (assign) => first.push(assign));
    connection.on('task:assign', (assign) => second.push(assign));
    cleanup = async () => {
      connection.close();
      await gateway.close();
    };
    connection.connect();
    const tab = await gateway.tab();
    tab.emit('worker:welcome', {
      nodeId: newNodeId(),
      heartbeatIntervalMs: 100,
      leaseMs: 30_000,
      iceServers: [],
      directStreamKey: 'k'.repeat(22),
    });
    await until(() => gateway.sent('worker:heartbeat').length >= 2, 'two heartbeats');
    expect(gateway.sent('worker:heartbeat')[0]?.models).toEqual([{ id: 'tessera/tiny-gpt2', state: 'loaded', backend: 'wasm' }]);

    const task: TaskSpec = { kind: 'embeddings', model: 'tessera/tiny-bert', texts: ['a'] };
    const assign = (): TaskAssign => ({ taskId: newTaskId(), leaseMs: 1000, attempt: 1, task });
    const one = assign();
    tab.emit('task:assign', one);
    await until(() => second.length === 1, 'the first assignment');
    stopFirst();
    const two = assign();
    tab.emit('task:assign', two);
    await until(() => second.length === 2, 'the second assignment');
    expect(first.map((task) => task.taskId)).toEqual([one.taskId]);
    expect(second.map((task) => task.taskId)).toEqual([one.taskId, two.taskId]);
    expect(welcomes).toHaveLength(1);

    connection.send('task:accept', { taskId: two.taskId });
    await until(() => gateway.sent('task:accept').length === 1, 'task:accept');
    expect(gateway.sent('task:accept')).toEqual([{ taskId: two.taskId }]);
  });

  it('types handlers and payloads from the shared event maps', () => {
    const connection = new CoordinatorConnection({
      origin: 'http://127.0.0.1:1',
      hello: () => ({ role: 'worker', publicKey: 'k', capabilities: CAPABILITIES }),
      heartbeat: () => ({ activeTaskIds: [], models: [] }),
    });
    connection.on('task:assign', (assign) => expectTypeOf(assign).toEqualTypeOf<TaskAssign>());
    connection.on('worker:welcome', (welcome) => expectTypeOf(welcome).toEqualTypeOf<WorkerWelcome>());
    expectTypeOf(connection.send<'task:accept'>).parameters.toEqualTypeOf<['task:accept', { taskId: TaskAssign['taskId'] }]>();
    // @ts-expect-error: not an event the coordinator sends
    connection.on('task:result', () => undefined);
    // @ts-expect-error: a task:accept carries a task id
    connection.send('task:accept', { jobId: 'x' });
  });
});
