import { MODEL_CATALOG, TINY_GPT2_ID, findModel, newNodeId } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { chatAssign } from '../../test-support/chat-assign.ts';
import { FakeEngine } from '../../test-support/fake-engine.ts';
import { RecordingTaskSink } from '../../test-support/recording-task-sink.ts';
import { ephemeralTabIdentity } from '../identity/tab-identity.ts';
import { TaskRunner } from './task-runner.ts';
import type { ServedTask } from './task-runner.ts';

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
  sink: RecordingTaskSink;
  runner: TaskRunner;
  updates: ServedTask[];
  directs: Map<string, RecordingDirectStream>;
}

/**
 * A runner with one engine slot and room for `maxConcurrentTasks` held tasks; chat assignments whose
 * prompt starts with "direct" stream to a recording direct stream.
 */
async function queueSetup(
  options: { maxConcurrentTasks?: number; parallelRuns?: number; directAnswers?: boolean } = {},
): Promise<QueueSetup> {
  const engine = new CountingEngine();
  const model = findModel(MODEL_CATALOG, TINY_GPT2_ID);
  if (model) await engine.load({ model, backend: 'wasm' });
  const sink = new RecordingTaskSink();
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
  return updates
    .filter((task) => task.taskId === taskId)
    .map((task) => task.status)
    .filter((status, index, all) => index === 0 || all[index - 1] !== status);
}

function resultIds(sink: RecordingTaskSink): string[] {
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
    expect(sink.sent.filter((message) => message.payload.taskId === second.taskId).map((message) => message.event)).toEqual([
      'task:accept',
    ]);
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
    expect(sink.sent.filter((message) => message.payload.taskId === second.taskId).map((message) => message.event)).toEqual([
      'task:accept',
    ]);
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
    const sink = new RecordingTaskSink();
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
