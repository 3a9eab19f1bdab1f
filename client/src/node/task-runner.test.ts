import {
  MODEL_CATALOG,
  TINY_BERT_ID,
  TINY_GPT2_ID,
  findModel,
  fromBase64Url,
  newNodeId,
  newTaskId,
  resultSigningBytes,
  taskResultSchema,
} from '@tessera/shared';
import type { NodeId, TaskAssign, TaskOutput } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { ED25519, ephemeralTabIdentity } from '../identity/tab-identity.ts';
import type { TabIdentity } from '../identity/tab-identity.ts';
import { chatAssign } from '../../test-support/chat-assign.ts';
import { FakeEngine } from '../../test-support/fake-engine.ts';
import { RecordingTaskSink } from '../../test-support/recording-task-sink.ts';
import { TaskRunner, splitDelta } from './task-runner.ts';
import type { ServedTask } from './task-runner.ts';

async function verifies(identity: TabIdentity, signature: string, bytes: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(fromBase64Url(identity.publicKey)), ED25519, true, ['verify']);
  return crypto.subtle.verify(ED25519, key, new Uint8Array(fromBase64Url(signature)), new Uint8Array(bytes));
}

interface Setup {
  engine: FakeEngine;
  sink: RecordingTaskSink;
  runner: TaskRunner;
  updates: ServedTask[];
  identity: TabIdentity;
  nodeId: NodeId;
}

async function setup(maxConcurrentTasks = 1, welcomed = true): Promise<Setup> {
  const engine = new FakeEngine();
  for (const id of [TINY_GPT2_ID, TINY_BERT_ID]) {
    const model = findModel(MODEL_CATALOG, id);
    if (model) await engine.load({ model, backend: 'wasm' });
  }
  const sink = new RecordingTaskSink();
  const updates: ServedTask[] = [];
  const identity = await ephemeralTabIdentity();
  const nodeId = newNodeId();
  const runner = new TaskRunner({
    engine,
    sink,
    identity,
    nodeId: () => (welcomed ? nodeId : null),
    maxConcurrentTasks,
    ensureModel: async (modelId) => {
      if (!engine.loaded.has(modelId)) throw new Error(`no ${modelId}`);
    },
    onUpdate: (task) => updates.push(task),
  });
  return { engine, sink, runner, updates, identity, nodeId };
}

describe('TaskRunner', () => {
  it('accepts, streams numbered chunks, then sends the result with usage and timings', async () => {
    const { sink, runner, updates } = await setup();
    const assign = chatAssign();
    await runner.assign(assign);
    expect(sink.events()).toEqual(['task:accept', 'task:chunk', 'task:chunk', 'task:chunk', 'task:result']);
    const chunks = sink.sent.flatMap((message) => (message.event === 'task:chunk' ? [message.payload] : []));
    expect(chunks.map((chunk) => [chunk.seq, chunk.delta])).toEqual([
      [0, 'Hel'],
      [1, 'lo'],
      [2, ' world'],
    ]);
    const result = sink.sent.at(-1);
    if (result?.event !== 'task:result') throw new Error('no result');
    expect(result.payload).toMatchObject({
      taskId: assign.taskId,
      output: { kind: 'chat', text: 'Hello world', finishReason: 'stop', tokenIds: [10, 11, 12] },
      usage: { promptTokens: 3, completionTokens: 3 },
    });
    expect(result.payload.timings.firstTokenMs).not.toBeNull();
    expect(result.payload.timings.totalMs).toBeGreaterThanOrEqual(result.payload.timings.firstTokenMs ?? 0);
    expect(updates.at(-1)).toMatchObject({ status: 'succeeded', units: 3 });
    expect(runner.activeTaskIds).toEqual([]);
  });

  it("signs each result for this connection's node id, as the coordinator checks it", async () => {
    const { sink, runner, identity, nodeId } = await setup();
    const assign = chatAssign();
    await runner.assign(assign);
    const result = sink.sent.at(-1);
    if (result?.event !== 'task:result') throw new Error('no result');
    expect(taskResultSchema.safeParse(result.payload).success).toBe(true);
    const { output, usage, signature } = result.payload;
    expect(await verifies(identity, signature, resultSigningBytes({ nodeId, taskId: assign.taskId, output, usage }))).toBe(true);
    // Not valid for another connection, another task, or another output.
    expect(await verifies(identity, signature, resultSigningBytes({ nodeId: newNodeId(), taskId: assign.taskId, output, usage }))).toBe(
      false,
    );
    expect(await verifies(identity, signature, resultSigningBytes({ nodeId, taskId: newTaskId(), output, usage }))).toBe(false);
    const forged: TaskOutput = { kind: 'chat', text: 'Hello there', finishReason: 'stop', tokenIds: [10, 11, 12] };
    expect(await verifies(identity, signature, resultSigningBytes({ nodeId, taskId: assign.taskId, output: forged, usage }))).toBe(false);
  });

  it('runs embeddings without chunks, signed too', async () => {
    const { sink, runner, identity, nodeId } = await setup();
    const assign: TaskAssign = {
      taskId: newTaskId(),
      leaseMs: 30_000,
      attempt: 1,
      task: { kind: 'embeddings', model: TINY_BERT_ID, texts: ['a', 'bb'] },
    };
    await runner.assign(assign);
    expect(sink.events()).toEqual(['task:accept', 'task:result']);
    const result = sink.sent.at(-1);
    if (result?.event !== 'task:result') throw new Error('no result');
    const { output, usage, signature } = result.payload;
    expect(await verifies(identity, signature, resultSigningBytes({ nodeId, taskId: assign.taskId, output, usage }))).toBe(true);
  });

  it('refuses a task before worker:welcome gave this connection a node id', async () => {
    const { sink, runner } = await setup(1, false);
    const assign = chatAssign();
    await runner.assign(assign);
    const message = 'This tab has not been welcomed on this connection yet.';
    expect(sink.sent).toEqual([
      { event: 'task:error', payload: { taskId: assign.taskId, code: 'internal_error', message, retryable: true } },
    ]);
  });

  it('reports engine failures as task:error with the registry code', async () => {
    const { engine, sink, runner, updates } = await setup();
    engine.failNext = new Error('GPU device lost');
    const assign = chatAssign();
    await runner.assign(assign);
    expect(sink.sent.at(-1)).toEqual({
      event: 'task:error',
      payload: { taskId: assign.taskId, code: 'inference_failed', message: 'GPU device lost', retryable: true },
    });
    expect(updates.at(-1)?.status).toBe('failed');
  });

  it('refuses a model it cannot load with a retryable error', async () => {
    const { sink, runner } = await setup();
    const assign = { ...chatAssign(), task: { ...chatAssign().task, model: 'unknown/model' } };
    await runner.assign(assign);
    expect(sink.sent.at(-1)).toMatchObject({ event: 'task:error', payload: { code: 'inference_failed', retryable: true } });
  });

  it('stops on task:cancel and sends nothing more', async () => {
    const { engine, sink, runner, updates } = await setup();
    engine.deltas = Array.from({ length: 100 }, (_, i) => `t${i}`);
    engine.stepMs = 2;
    const assign = chatAssign(100);
    const running = runner.assign(assign);
    await new Promise((resolve) => setTimeout(resolve, 15));
    runner.cancel(assign.taskId);
    await running;
    const after = sink.events();
    expect(after).not.toContain('task:result');
    expect(after).not.toContain('task:error');
    expect(updates.at(-1)?.status).toBe('cancelled');
  });

  it('refuses assignments beyond maxConcurrentTasks so the coordinator places them elsewhere', async () => {
    const { engine, sink, runner } = await setup(1);
    engine.stepMs = 5;
    const first = chatAssign();
    const second = chatAssign();
    const running = runner.assign(first);
    await runner.assign(second);
    expect(sink.sent.find((message) => message.event === 'task:error')).toEqual({
      event: 'task:error',
      payload: { taskId: second.taskId, code: 'no_capacity', message: 'This tab already runs 1 of at most 1 tasks.', retryable: true },
    });
    await running;
    expect(sink.sent.filter((message) => message.event === 'task:result').map((message) => message.payload.taskId)).toEqual([first.taskId]);
  });

  it('runs up to maxConcurrentTasks at once', async () => {
    const { engine, sink, runner } = await setup(2);
    engine.stepMs = 5;
    await Promise.all([runner.assign(chatAssign()), runner.assign(chatAssign())]);
    expect(sink.events().filter((event) => event === 'task:result')).toHaveLength(2);
  });
});

describe('splitDelta', () => {
  it('keeps chunks under the limit without splitting surrogate pairs', () => {
    expect(splitDelta('abcdef', 4)).toEqual(['abcd', 'ef']);
    expect(splitDelta('abc😀', 4)).toEqual(['abc', '😀']);
    expect(splitDelta('', 4)).toEqual([]);
  });
});
