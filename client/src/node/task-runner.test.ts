import { MODEL_CATALOG, TINY_BERT_ID, TINY_GPT2_ID, findModel, fromBase64Url, newNodeId, newTaskId, resultSigningBytes, taskResultSchema } from '@tessera/shared';
import type { NodeId, TaskAccept, TaskAssign, TaskChunk, TaskError, TaskOutput, TaskResult } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { ED25519, ephemeralTabIdentity } from '../identity/tab-identity.ts';
import type { TabIdentity } from '../identity/tab-identity.ts';
import { FakeEngine } from '../../test-support/fake-engine.ts';
import { TaskRunner, splitDelta } from './task-runner.ts';
import type { ServedTask, TaskSink } from './task-runner.ts';

type Sent =
  | { event: 'task:accept'; payload: TaskAccept }
  | { event: 'task:chunk'; payload: TaskChunk }
  | { event: 'task:result'; payload: TaskResult }
  | { event: 'task:error'; payload: TaskError };

class RecordingSink implements TaskSink {
  readonly sent: Sent[] = [];
  accept(payload: TaskAccept): void {
    this.sent.push({ event: 'task:accept', payload });
  }
  chunk(payload: TaskChunk): void {
    this.sent.push({ event: 'task:chunk', payload });
  }
  result(payload: TaskResult): void {
    this.sent.push({ event: 'task:result', payload });
  }
  error(payload: TaskError): void {
    this.sent.push({ event: 'task:error', payload });
  }
  events(): string[] {
    return this.sent.map((message) => message.event);
  }
}

function chatAssign(maxTokens = 16): TaskAssign {
  return {
    taskId: newTaskId(),
    leaseMs: 30_000,
    attempt: 1,
    task: { kind: 'chat', model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'Tessera' }], params: { maxTokens, temperature: 0, topP: 1, seed: null, stop: [] } },
  };
}

async function verifies(identity: TabIdentity, signature: string, bytes: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(fromBase64Url(identity.publicKey)), ED25519, true, ['verify']);
  return crypto.subtle.verify(ED25519, key, new Uint8Array(fromBase64Url(signature)), new Uint8Array(bytes));
}

interface Setup {
  engine: FakeEngine;
  sink: RecordingSink;
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
  const sink = new RecordingSink();
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
    expect(chunks.map((chunk) => [chunk.seq, chunk.delta])).toEqual([[0, 'Hel'], [1, 'lo'], [2, ' world']]);
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

  it('signs each result for this connection\'s node id, as the coordinator checks it', async () => {
    const { sink, runner, identity, nodeId } = await setup();
    const assign = chatAssign();
    await runner.assign(assign);
    const result = sink.sent.at(-1);
    if (result?.event !== 'task:result') throw new Error('no result');
    expect(taskResultSchema.safeParse(result.payload).success).toBe(true);
    const { output, usage, signature } = result.payload;
    expect(await verifies(identity, signature, resultSigningBytes({ nodeId, taskId: assign.taskId, output, usage }))).toBe(true);
    // Not valid for another connection, another task, or another output.
    expect(await verifies(identity, signature, resultSigningBytes({ nodeId: newNodeId(), taskId: assign.taskId, output, usage }))).toBe(false);
    expect(await verifies(identity, signature, resultSigningBytes({ nodeId, taskId: newTaskId(), output, usage }))).toBe(false);
    const forged: TaskOutput = { kind: 'chat', text: 'Hello there', finishReason: 'stop', tokenIds: [10, 11, 12] };
    expect(await verifies(identity, signature, resultSigningBytes({ nodeId, taskId: assign.taskId, output: forged, usage }))).toBe(false);
  });

  it('runs embeddings without chunks, signed too', async () => {
    const { sink, runner, identity, nodeId } = await setup();
    const assign: TaskAssign = { taskId: newTaskId(), leaseMs: 30_000, attempt: 1, task: { kind: 'embeddings', model: TINY_BERT_ID, texts: ['a', 'bb'] } };
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
    expect(sink.sent).toEqual([{ event: 'task:error', payload: { taskId: assign.taskId, code: 'internal_error', message: 'This tab has not been welcomed on this connection yet.', retryable: true } }]);
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

/** A `FakeEngine` that records which prompts it ran and how many ran at once. */
class CountingEngine extends FakeEngine {
  readonly prompts: string[] = [];
  running = 0;
  mostAtOnce = 0;

  override async generate(request: Parameters<FakeEngine['generate']>[0]): ReturnType<FakeEngine['generate']> {
    this.prompts.push(request.task.messages.map((message) => message.content).join('\n'));
    this.running++;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    try {
      return await super.generate(request);
    } finally {
      this.running--;
    }
  }
}

/** What a direct stream to the requester received; `direct` is what its `end` answers. */
class RecordingDirectStream {
  readonly pushed: string[] = [];
  readonly ends: ('complete' | 'abandoned')[] = [];
  constructor(private readonly direct: boolean) {}
  push(delta: string): void {
    this.pushed.push(delta);
  }
  end(status: 'complete' | 'abandoned'): Promise<{ direct: boolean }> {
    this.ends.push(status);
    return Promise.resolve({ direct: this.direct });
  }
}

function promptedAssign(prompt: string, maxTokens = 16): TaskAssign {
  const assign = chatAssign(maxTokens);
  if (assign.task.kind !== 'chat') throw new Error('a chat task expected');
  return { ...assign, task: { ...assign.task, messages: [{ role: 'user', content: prompt }] } };
}

interface QueueSetup {
  engine: CountingEngine;
  sink: RecordingSink;
  runner: TaskRunner;
  updates: ServedTask[];
  directs: Map<string, RecordingDirectStream>;
}

/** A runner with one engine slot and room for `maxConcurrentTasks` held tasks; chat assignments whose prompt starts with "direct" stream to a recording direct stream. */
async function queueSetup(options: { maxConcurrentTasks?: number; parallelRuns?: number; directAnswers?: boolean } = {}): Promise<QueueSetup> {
  const engine = new CountingEngine();
  const model = findModel(MODEL_CATALOG, TINY_GPT2_ID);
  if (model) await engine.load({ model, backend: 'wasm' });
  const sink = new RecordingSink();
  const updates: ServedTask[] = [];
  const directs = new Map<string, RecordingDirectStream>();
  const nodeId = newNodeId();
  const runner = new TaskRunner({
    engine,
    sink,
    identity: await ephemeralTabIdentity(),
    nodeId: () => nodeId,
    maxConcurrentTasks: options.maxConcurrentTasks ?? 3,
    parallelRuns: options.parallelRuns ?? 1,
    openDirectStream: (assign) => {
      if (assign.task.kind !== 'chat' || !assign.task.messages.some((message) => message.content.startsWith('direct'))) return null;
      const stream = new RecordingDirectStream(options.directAnswers ?? true);
      directs.set(assign.taskId, stream);
      return stream;
    },
    ensureModel: async (modelId) => {
      if (!engine.loaded.has(modelId)) throw new Error(`no ${modelId}`);
    },
    onUpdate: (task) => updates.push(task),
  });
  return { engine, sink, runner, updates, directs };
}

/** Each status a task went through, repeats (progress updates) collapsed. */
function statuses(updates: readonly ServedTask[], taskId: string): string[] {
  return updates.filter((task) => task.taskId === taskId).map((task) => task.status).filter((status, index, all) => index === 0 || all[index - 1] !== status);
}

function resultIds(sink: RecordingSink): string[] {
  return sink.sent.flatMap((message) => (message.event === 'task:result' ? [message.payload.taskId] : []));
}

describe('TaskRunner with fewer engine slots than held tasks (parallelRuns)', () => {
  it('accepts every assignment, runs one at a time, and runs the queued ones in order', async () => {
    const { engine, sink, runner, updates } = await queueSetup();
    engine.stepMs = 5;
    const assigns = [promptedAssign('first'), promptedAssign('second'), promptedAssign('third')];
    const runs = assigns.map((assign) => runner.assign(assign));
    expect(sink.events()).toEqual(['task:accept', 'task:accept', 'task:accept']);
    await Promise.all(runs);

    expect(engine.prompts).toEqual(['first', 'second', 'third']);
    expect(engine.mostAtOnce).toBe(1);
    expect(resultIds(sink)).toEqual(assigns.map((assign) => assign.taskId));
    expect(sink.events().filter((event) => event === 'task:error')).toEqual([]);
    for (const assign of assigns) expect(statuses(updates, assign.taskId)).toEqual(['queued', 'running', 'succeeded']);
    // The second starts only once the first has ended, and the third after the second.
    const firstRunning = (taskId: string): number => updates.findIndex((task) => task.taskId === taskId && task.status === 'running');
    const ended = (taskId: string): number => updates.findIndex((task) => task.taskId === taskId && task.status === 'succeeded');
    const [first, second, third] = assigns.map((assign) => assign.taskId);
    if (first === undefined || second === undefined || third === undefined) throw new Error('three tasks expected');
    expect(firstRunning(second)).toBeGreaterThan(ended(first));
    expect(firstRunning(third)).toBeGreaterThan(ended(second));
  });

  it('shows which held tasks still wait for the engine', async () => {
    const { engine, runner } = await queueSetup();
    engine.stepMs = 5;
    const assigns = [promptedAssign('first'), promptedAssign('second'), promptedAssign('third')];
    const runs = assigns.map((assign) => runner.assign(assign));
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(runner.heldTasks.map((task) => [task.taskId, task.model, task.queued])).toEqual([
      [assigns[0]?.taskId, TINY_GPT2_ID, false],
      [assigns[1]?.taskId, TINY_GPT2_ID, true],
      [assigns[2]?.taskId, TINY_GPT2_ID, true],
    ]);
    await Promise.all(runs);
    expect(runner.heldTasks).toEqual([]);
  });

  it('drops a queued task that is cancelled without running it, and runs the next one', async () => {
    const { engine, sink, runner, updates } = await queueSetup();
    engine.stepMs = 5;
    const [first, second, third] = [promptedAssign('first'), promptedAssign('second'), promptedAssign('third')];
    const runs = [first, second, third].map((assign) => runner.assign(assign));
    runner.cancel(second.taskId);
    await Promise.all(runs);
    expect(engine.prompts).toEqual(['first', 'third']);
    expect(resultIds(sink)).toEqual([first.taskId, third.taskId]);
    expect(sink.sent.filter((message) => message.payload.taskId === second.taskId).map((message) => message.event)).toEqual(['task:accept']);
    expect(statuses(updates, second.taskId)).toEqual(['queued', 'cancelled']);

    // The slot count is still right: a later assignment runs.
    const fourth = promptedAssign('fourth');
    await runner.assign(fourth);
    expect(resultIds(sink).at(-1)).toBe(fourth.taskId);
  });

  it('records a task the coordinator moved to a neighbour as handed-off, and sends nothing more for it', async () => {
    const { engine, sink, runner, updates } = await queueSetup();
    engine.stepMs = 5;
    const [first, second] = [promptedAssign('first'), promptedAssign('second')];
    const runs = [first, second].map((assign) => runner.assign(assign));
    runner.cancel(second.taskId, { handedOff: true });
    await Promise.all(runs);
    expect(statuses(updates, second.taskId)).toEqual(['queued', 'handed-off']);
    expect(engine.prompts).toEqual(['first']);
    expect(sink.sent.filter((message) => message.payload.taskId === second.taskId).map((message) => message.event)).toEqual(['task:accept']);
    expect(statuses(updates, first.taskId)).toEqual(['queued', 'running', 'succeeded']);
  });
});

describe('TaskRunner with a direct stream to the requester', () => {
  it('pushes the text to the direct stream instead of task:chunk, still sends the result, and marks the task direct', async () => {
    const { sink, runner, updates, directs } = await queueSetup();
    const assign = promptedAssign('direct please');
    await runner.assign(assign);
    expect(directs.get(assign.taskId)?.pushed).toEqual(['Hel', 'lo', ' world']);
    expect(directs.get(assign.taskId)?.ends).toEqual(['complete']);
    expect(sink.events()).toEqual(['task:accept', 'task:result']);
    const result = sink.sent.at(-1);
    if (result?.event !== 'task:result') throw new Error('no result');
    expect(result.payload.output).toMatchObject({ kind: 'chat', text: 'Hello world' });
    expect(updates.at(-1)).toMatchObject({ taskId: assign.taskId, status: 'succeeded', direct: true, units: 3 });
  });

  it('records direct: false when the direct stream fell back to the coordinator', async () => {
    const { runner, updates, directs } = await queueSetup({ directAnswers: false });
    const assign = promptedAssign('direct please');
    await runner.assign(assign);
    expect(directs.get(assign.taskId)?.ends).toEqual(['complete']);
    expect(updates.at(-1)).toMatchObject({ status: 'succeeded', direct: false });
  });

  it('sends chunks to the coordinator for assignments without a direct stream', async () => {
    const { sink, runner, updates, directs } = await queueSetup();
    await runner.assign(promptedAssign('plain'));
    expect(directs.size).toBe(0);
    expect(sink.events()).toEqual(['task:accept', 'task:chunk', 'task:chunk', 'task:chunk', 'task:result']);
    expect(updates.at(-1)).toMatchObject({ status: 'succeeded', direct: false });
  });

  it('ends the direct stream as abandoned when the task is cancelled mid-run', async () => {
    const { engine, sink, runner, updates, directs } = await queueSetup();
    engine.deltas = Array.from({ length: 100 }, (_, i) => `t${i}`);
    engine.stepMs = 2;
    const assign = promptedAssign('direct please', 100);
    const running = runner.assign(assign);
    await new Promise((resolve) => setTimeout(resolve, 15));
    runner.cancel(assign.taskId);
    await running;
    const stream = directs.get(assign.taskId);
    expect(stream?.pushed.length).toBeGreaterThan(0);
    expect(stream?.pushed.length).toBeLessThan(100);
    expect(stream?.ends).toEqual(['abandoned']);
    expect(sink.events()).toEqual(['task:accept']);
    expect(updates.at(-1)?.status).toBe('cancelled');
  });
});

describe('TaskRunner timings', () => {
  it('does not count a model still loading as the task latency (tabs join before their loads end)', async () => {
    const engine = new FakeEngine();
    const model = findModel(MODEL_CATALOG, TINY_GPT2_ID);
    if (model === undefined) throw new Error('no tiny-gpt2');
    const sink = new RecordingSink();
    let clock = 0;
    const runner = new TaskRunner({
      engine,
      sink,
      identity: await ephemeralTabIdentity(),
      nodeId: () => newNodeId(),
      maxConcurrentTasks: 1,
      now: () => clock,
      ensureModel: async () => {
        // The load takes ten (fake) seconds.
        clock += 10_000;
        await engine.load({ model, backend: 'wasm' });
      },
    });
    await runner.assign(chatAssign());
    const result = sink.sent.at(-1);
    if (result?.event !== 'task:result') throw new Error('no result');
    expect(result.payload.timings.totalMs).toBeLessThan(10_000);
  });
});
