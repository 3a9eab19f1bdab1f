import { MODEL_CATALOG, TINY_GPT2_ID, newNodeId } from '@tessera/shared';
import type { CoordinatorToWorkerMessage, TaskResult, TaskSpec } from '@tessera/shared';
import { generateKeyPairSync } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../db/sqlite-database.ts';
import { CoordinatorEventBus, type CoordinatorEvents } from '../events/coordinator-events.ts';
import { Ed25519Key } from '../workers/ed25519-key.ts';
import { WorkerRegistry } from '../workers/worker-registry.ts';
import type { WorkerSession } from '../workers/worker-session.ts';
import { Dispatcher, type DispatcherOptions } from './dispatcher.ts';
import { SqlTaskStore } from './sql-task-store.ts';
import type { TaskEvent } from './task-event.ts';

const spec: TaskSpec = {
  kind: 'chat',
  model: TINY_GPT2_ID,
  messages: [{ role: 'user', content: 'hi' }],
  params: { maxTokens: 4, temperature: 0, topP: 1, seed: null, stop: [] },
};

function tab(options: { maxConcurrentTasks?: number } = {}): WorkerSession & { sent: CoordinatorToWorkerMessage[] } {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const sent: CoordinatorToWorkerMessage[] = [];
  return {
    sent,
    nodeId: newNodeId(),
    network: '10.0.0.0/24',
    role: 'worker',
    key: new Ed25519Key(String(jwk.x)),
    directStreamKey: 'k'.repeat(22),
    channel: { send: (message) => sent.push(message), disconnect: () => undefined },
    capabilities: {
      userAgent: 'test',
      hardwareConcurrency: 2,
      gpu: null,
      backends: ['wasm'],
      engines: ['transformers'],
      models: [],
      benchmarkTokensPerSecond: null,
      maxConcurrentTasks: options.maxConcurrentTasks ?? 1,
    },
    offeredModels: new Map(),
    models: new Map([[TINY_GPT2_ID, { id: TINY_GPT2_ID, state: 'loaded', backend: 'wasm' }]]),
    modelChecks: new Map(),
    activeTasks: new Set(),
    activeJobs: new Set(),
    connectedAt: 0,
    lastSeenAt: 0,
    lastAssignedAt: 0,
    completedTasks: 0,
    failedTasks: 0,
    verdicts: { valid: 0, invalid: 0 },
    tokensPerSecond: null,
  };
}

function assignedTo(session: { sent: CoordinatorToWorkerMessage[] }) {
  return session.sent.flatMap((message) => (message.event === 'task:assign' ? [message.payload] : []));
}

function result(taskId: TaskResult['taskId'], text = 'ok'): TaskResult {
  return {
    taskId,
    output: { kind: 'chat', text, finishReason: 'stop', tokenIds: [1] },
    usage: { promptTokens: 1, completionTokens: 1 },
    timings: { firstTokenMs: 1, totalMs: 2 },
    signature: 'A'.repeat(86),
  };
}

function setup(settings: { leaseMs?: number; maxAttempts?: number; largeInputBytes?: number } = {}) {
  let now = 1_000;
  const events = new CoordinatorEventBus();
  const heard: Array<keyof CoordinatorEvents> = [];
  for (const name of [
    'task:submitted',
    'task:assigned',
    'task:requeued',
    'task:attempt-failed',
    'task:succeeded',
    'task:failed',
    'task:cancelled',
  ] as const) {
    events.on(name, () => heard.push(name));
  }
  const store = new SqlTaskStore(openSqliteDatabase(':memory:'));
  const registry = new WorkerRegistry();
  const options: DispatcherOptions = {
    store,
    registry,
    catalog: MODEL_CATALOG,
    events,
    leaseMs: settings.leaseMs ?? 1_000,
    queueTimeoutMs: 5_000,
    maxAttempts: settings.maxAttempts ?? 2,
    maxQueuedTasks: 10,
    maxOpenBytes: 4096,
    maxOpenBytesPerClient: 2048,
    largeInputBytes: settings.largeInputBytes,
    logger: pino({ level: 'silent' }),
    now: () => now,
  };
  const dispatcher = new Dispatcher(options);
  return { dispatcher, options, store, registry, events, heard, advance: (ms: number) => (now += ms) };
}

describe('Dispatcher', () => {
  it('stores a task, gives it to a free tab, and delivers its result once to the caller', async () => {
    const { dispatcher, store, registry, heard } = setup();
    const worker = tab();
    registry.add(worker);
    const record = dispatcher.submit({ api: 'chat.completion', spec, priority: 10 });
    const seen: TaskEvent[] = [];
    dispatcher.subscribe(record.id, (event) => seen.push(event));
    expect(assignedTo(worker).map((assign) => assign.taskId)).toEqual([record.id]);
    expect(store.get(record.id)?.status).toBe('assigned');
    expect(await dispatcher.taskResult(worker, result(record.id))).toEqual({ ok: true });
    expect(await dispatcher.taskResult(worker, result(record.id))).toMatchObject({ ok: false, error: { code: 'not_assigned' } });
    expect(seen.map((event) => event.type)).toEqual(['succeeded']);
    expect(store.get(record.id)?.result?.output).toMatchObject({ text: 'ok' });
    expect(heard).toEqual(['task:submitted', 'task:assigned', 'task:succeeded']);
  });

  it('requeues a task whose tab let the lease run out, to another tab, and fails it when attempts run out', () => {
    const { dispatcher, registry, advance, heard } = setup({ leaseMs: 100, maxAttempts: 2 });
    const first = tab();
    registry.add(first);
    const record = dispatcher.submit({ api: 'chat.completion', spec, priority: 10 });
    const second = tab();
    registry.add(second);
    advance(150);
    dispatcher.reap();
    expect(first.sent.some((message) => message.event === 'task:cancel')).toBe(true);
    // Requeued at the head of its queue and placed at once on the other tab.
    expect(dispatcher.get(record.id)).toMatchObject({ status: 'assigned', nodeId: second.nodeId });
    expect(assignedTo(second).map((assign) => [assign.taskId, assign.attempt])).toEqual([[record.id, 2]]);
    advance(150);
    dispatcher.reap();
    expect(dispatcher.get(record.id)).toMatchObject({ status: 'failed', error: { code: 'attempts_exhausted' } });
    expect(heard.filter((name) => name === 'task:attempt-failed')).toHaveLength(2);
  });

  it('rolls a result back when crediting it fails, so it is neither lost nor paid twice', async () => {
    const { dispatcher, store, registry, events } = setup();
    const worker = tab();
    registry.add(worker);
    events.on('task:succeeded', () => {
      throw new Error('ledger unavailable');
    });
    const record = dispatcher.submit({ api: 'chat.completion', spec, priority: 10 });
    await expect(dispatcher.taskResult(worker, result(record.id))).rejects.toThrow('ledger unavailable');
    expect(store.get(record.id)?.status).toBe('assigned');
  });

  it('runs a pinned task on its tab only, stores nothing, and hides it from callers', async () => {
    const { dispatcher, store, registry, heard } = setup();
    const busy = tab();
    registry.add(busy);
    dispatcher.submit({ api: 'chat.completion', spec, priority: 10 });
    const pinnedOn = tab();
    const outcome = dispatcher.runPinned(spec, pinnedOn);
    const [assign] = assignedTo(pinnedOn);
    expect(assign).toBeDefined();
    if (assign === undefined) return;
    expect(dispatcher.get(assign.taskId)).toBeUndefined();
    expect(store.get(assign.taskId)).toBeUndefined();
    expect(dispatcher.handoff(pinnedOn, { taskId: assign.taskId, to: busy.nodeId })).toMatchObject({
      ok: false,
      error: { code: 'handoff_refused' },
    });
    await dispatcher.taskResult(pinnedOn, result(assign.taskId, 'known answer'));
    await expect(outcome).resolves.toMatchObject({ ok: true, result: { output: { text: 'known answer' } } });
    expect(heard).toEqual(['task:submitted', 'task:assigned']);
    expect(dispatcher.openCounts()).toEqual({ queued: 0, assigned: 1 });
  });

  it('bounds the input one client, and all clients together, may hold open', () => {
    const { dispatcher, store } = setup();
    const big = (content: string): TaskSpec => ({ ...spec, messages: [{ role: 'user', content }] });
    dispatcher.submit({ api: 'chat.completion', spec: big('a'.repeat(1500)), priority: 10, client: '10.0.0.1' });
    const before = store.counts();
    expect(() => dispatcher.submit({ api: 'chat.completion', spec: big('b'.repeat(1500)), priority: 10, client: '10.0.0.1' })).toThrow(
      expect.objectContaining({ code: 'client_queue_full' }),
    );
    expect(store.counts()).toEqual(before);
    dispatcher.submit({ api: 'chat.completion', spec: big('c'.repeat(1500)), priority: 10, client: '10.0.0.2' });
    expect(() => dispatcher.submit({ api: 'chat.completion', spec: big('d'.repeat(1500)), priority: 10, client: '10.0.0.3' })).toThrow(
      expect.objectContaining({ code: 'queue_full' }),
    );
    const first = store.counts();
    expect(first.queued).toBe(2);
  });

  it('never sends a retry to a tab that failed the task', () => {
    const { dispatcher, registry } = setup({ maxAttempts: 3 });
    const worker = tab();
    registry.add(worker);
    const record = dispatcher.submit({ api: 'chat.completion', spec, priority: 10 });
    dispatcher.taskError(worker, { taskId: record.id, code: 'internal_error', message: 'oops', retryable: true });
    dispatcher.workerAvailable(worker);
    expect(assignedTo(worker)).toHaveLength(1);
    expect(dispatcher.get(record.id)?.status).toBe('queued');
  });

  describe('large queued inputs wait in the store, not in memory', () => {
    const large = (content: string): TaskSpec => ({ ...spec, messages: [{ role: 'user', content: content.padEnd(600, '.') }] });

    it('are queued, counted and weighed without their input, and a tab gets the whole input on its turn', () => {
      const { dispatcher, registry } = setup({ largeInputBytes: 512 });
      const small = dispatcher.submit({ api: 'chat.completion', spec, priority: 10, client: 'a' });
      const big = dispatcher.submit({ api: 'chat.completion', spec: large('first'), priority: 10, client: 'a' });
      expect(dispatcher.openCounts()).toEqual({ queued: 2, assigned: 0 });
      expect(dispatcher.queuedByModel()).toEqual({ [TINY_GPT2_ID]: 2 });
      expect(dispatcher.queuePosition(big)).toBe(1);
      // Its bytes still count against the client: the bound is on what a client may queue.
      expect(() => dispatcher.assertRoomFor('a', 1500)).toThrow(expect.objectContaining({ code: 'client_queue_full' }));
      const worker = tab({ maxConcurrentTasks: 2 });
      registry.add(worker);
      dispatcher.workerAvailable(worker);
      expect(assignedTo(worker).map((assign) => [assign.taskId, assign.task])).toEqual([
        [small.id, spec],
        [big.id, large('first')],
      ]);
      expect(dispatcher.openCounts()).toEqual({ queued: 0, assigned: 2 });
    });

    it('can be cancelled, and expire at their deadline, while they wait in the store', () => {
      const { dispatcher, store, advance } = setup({ largeInputBytes: 512 });
      const cancelled = dispatcher.submit({ api: 'chat.completion', spec: large('cancel me'), priority: 10 });
      const expiring = dispatcher.submit({ api: 'chat.completion', spec: large('expire'), priority: 10 });
      expect(dispatcher.cancel(cancelled.id, 'caller left')?.status).toBe('cancelled');
      expect(store.get(cancelled.id)?.status).toBe('cancelled');
      advance(6_000);
      dispatcher.reap();
      expect(store.get(expiring.id)).toMatchObject({ status: 'failed', error: { code: 'no_capacity' } });
      expect(dispatcher.openCounts()).toEqual({ queued: 0, assigned: 0 });
      expect(() => dispatcher.assertRoomFor('', 2000)).not.toThrow();
    });

    it('are recovered after a restart the same way', () => {
      const first = setup({ largeInputBytes: 512 });
      first.dispatcher.submit({ api: 'chat.completion', spec: large('survive'), priority: 10 });
      const registry = new WorkerRegistry();
      const second = new Dispatcher({ ...first.options, registry });
      second.recover();
      expect(second.openCounts()).toEqual({ queued: 1, assigned: 0 });
      const worker = tab();
      registry.add(worker);
      second.workerAvailable(worker);
      expect(assignedTo(worker).map((assign) => assign.task)).toEqual([large('survive')]);
    });
  });
});
