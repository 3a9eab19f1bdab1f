import { TINY_GPT2_ID, createdTaskViewSchema, openAIErrorBodySchema, taskViewSchema } from '@tessera/shared';
import type { CreatedTaskView, TaskAssign, TaskView } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { metric, streamedText } from './support/task-observations.ts';
import { answerHonestly, echoText } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: TINY_GPT2_ID,
  messages: [{ role: 'user', content }],
  temperature: 0,
  ...extra,
});

const track = closeAfterEach();

async function submitTask(server: TestApp, content: string): Promise<CreatedTaskView> {
  const response = await fetch(`${server.url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Queued even with no tab: these tests are about what happens to waiting tasks.
    body: JSON.stringify({ type: 'chat.completion', request: chat(content), wait_for_tab: true }),
  });
  return createdTaskViewSchema.parse(await response.json());
}

async function getTask(server: TestApp, id: string): Promise<TaskView> {
  return taskViewSchema.parse(await (await fetch(`${server.url}/api/v1/tasks/${id}`)).json());
}

function holdTask(held: TaskAssign[]) {
  return (assign: TaskAssign, tab: ScriptedTab) => {
    held.push(assign);
    tab.socket.emit('task:accept', { taskId: assign.taskId });
  };
}

describe('tasks survive failing tabs', () => {
  it('a tab that disconnects mid-task gives the task to another tab', async () => {
    const server = track(await startTestApp());
    const held: TaskAssign[] = [];
    const dying = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: holdTask(held) }));
    await dying.ready();
    const view = await submitTask(server, 'survive');
    await eventually(() => held[0], 5000, 'assignment to the first tab');
    const honest = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await honest.ready();
    dying.close();
    const done = await eventually(async () => {
      const task = await getTask(server, view.id);
      return task.status === 'succeeded' ? task : undefined;
    });
    expect(done.attempts).toBe(2);
    expect(done.result && 'choices' in done.result ? done.result.choices[0]?.message.content : null).toBe('echo: survive');
  });

  it('a tab that goes silent loses the task when its lease expires', async () => {
    const server = track(await startTestApp({ leaseMs: 300 }));
    const held: TaskAssign[] = [];
    const silent = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: holdTask(held) }));
    await silent.ready();
    const view = await submitTask(server, 'lease');
    await eventually(() => held[0], 5000, 'assignment');
    const honest = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await honest.ready();
    const done = await eventually(async () => {
      const task = await getTask(server, view.id);
      return task.status === 'succeeded' ? task : undefined;
    });
    expect(done.attempts).toBe(2);
    await eventually(() => silent.received.find((message) => message.event === 'task:cancel'), 2000, 'task:cancel to the silent tab');
  });

  it('fails with attempts_exhausted after maxAttempts tabs failed', async () => {
    const server = track(await startTestApp({ maxAttempts: 2 }));
    // Two tabs, each failing: a retry never goes back to a tab that already failed the task.
    for (let i = 0; i < 2; i++) {
      const failing = track(
        new ScriptedTab({
          url: server.url,
          models: [loaded(TINY_GPT2_ID)],
          onAssign: (assign, tab) =>
            tab.socket.emit('task:error', { taskId: assign.taskId, code: 'inference_failed', message: 'out of memory', retryable: true }),
        }),
      );
      await failing.ready();
    }
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('doomed')),
    });
    expect(response.status).toBe(502);
    const body = openAIErrorBodySchema.parse(await response.json());
    expect(body.error.code).toBe('attempts_exhausted');
    expect(body.error.message).toContain('out of memory');
  });

  it('a request for a model no tab serves is refused at once with Retry-After, and stores nothing', async () => {
    const server = track(await startTestApp({ queueTimeoutMs: 60_000 }));
    const started = Date.now();
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('anyone?', { stream: true })),
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    const error = openAIErrorBodySchema.parse(await response.json()).error;
    expect(error.code).toBe('no_capacity');
    expect(error.message).toContain('wait_for_tab');
    expect(await metric(server, 'tessera_tasks_submitted_total{kind="chat"}')).toBe(0);
    // A tab that offers the model (still to be checked) is enough: the task waits for it.
    const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await tab.ready();
    const served = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('now someone')),
    });
    expect(served.status).toBe(200);
  });

  it('an async task asked to wait for a tab waits, then fails with no_capacity at its queue timeout', async () => {
    const server = track(await startTestApp({ queueTimeoutMs: 400 }));
    const created = await submitTask(server, 'anyone at all?');
    expect(created.status).toBe('queued');
    const failed = await eventually(async () => {
      const view = await getTask(server, created.id);
      return view.status === 'failed' ? view : undefined;
    });
    expect(failed.error?.code).toBe('no_capacity');
  });

  it('a streamed answer retried on another tab is not repeated to the caller', async () => {
    const server = track(await startTestApp());
    const partial = track(
      new ScriptedTab({
        url: server.url,
        models: [loaded(TINY_GPT2_ID)],
        onAssign: (assign, tab) => {
          tab.socket.emit('task:accept', { taskId: assign.taskId });
          tab.socket.emit('task:chunk', { taskId: assign.taskId, seq: 0, delta: echoText(assign).slice(0, 7) });
          setTimeout(() => tab.close(), 100);
        },
      }),
    );
    await partial.ready();
    const responsePromise = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('stream once', { stream: true })),
    });
    await eventually(() => partial.received.find((message) => message.event === 'task:assign'), 5000, 'assignment');
    const honest = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await honest.ready();
    const text = await (await responsePromise).text();
    const deltas = streamedText(text);
    expect(deltas).toBe('echo: stream once');
  });

  it('cancelling a running task tells its tab to stop', async () => {
    const server = track(await startTestApp());
    const held: TaskAssign[] = [];
    const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: holdTask(held) }));
    await tab.ready();
    const view = await submitTask(server, 'cancel me');
    await eventually(() => held[0], 5000, 'assignment');
    // Only the submitter may cancel: no token, or another task's token, changes nothing.
    const other = await submitTask(server, 'another');
    const attempts: Record<string, string>[] = [{}, { 'x-tessera-cancel-token': other.cancel_token }];
    for (const headers of attempts) {
      const refused = await fetch(`${server.url}/api/v1/tasks/${view.id}`, { method: 'DELETE', headers });
      expect(refused.status).toBe(403);
      expect(openAIErrorBodySchema.parse(await refused.json()).error.code).toBe('task_not_owned');
    }
    expect((await getTask(server, view.id)).status).toBe('assigned');
    const cancelled = await fetch(`${server.url}/api/v1/tasks/${view.id}`, {
      method: 'DELETE',
      headers: { 'x-tessera-cancel-token': view.cancel_token },
    });
    expect(taskViewSchema.parse(await cancelled.json()).status).toBe('cancelled');
    const cancel = await eventually(() => tab.received.find((message) => message.event === 'task:cancel'), 2000, 'task:cancel');
    expect(cancel.payload).toMatchObject({ taskId: view.id });
  });
});

describe('a coordinator restart loses no accepted task and no result', () => {
  it('queued tasks and finished results come back from the SQLite file', async () => {
    const first = await startTestApp({}, (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/tessera-restart-`));
    const pending = await submitTask(first, 'after restart');
    const tab = new ScriptedTab({ url: first.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly });
    await tab.ready();
    await eventually(async () => ((await getTask(first, pending.id)).status === 'succeeded' ? true : undefined));
    tab.close();
    const queued = await submitTask(first, 'queued across restart');
    expect(queued.status).toBe('queued');
    await first.close();

    const second = track(await startTestApp({}, first.dataDir));
    expect((await getTask(second, pending.id)).status).toBe('succeeded');
    expect((await getTask(second, queued.id)).status).toBe('queued');
    const honest = track(new ScriptedTab({ url: second.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await honest.ready();
    const done = await eventually(async () => {
      const task = await getTask(second, queued.id);
      return task.status === 'succeeded' ? task : undefined;
    });
    expect(done.result && 'choices' in done.result ? done.result.choices[0]?.message.content : null).toBe('echo: queued across restart');
  });
});
