import { TINY_GPT2_ID, taskIdSchema } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import OpenAI, { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, type AssignmentHandler } from './support/scripted-tab.ts';
import { cancelsFor, getTask, metric } from './support/task-observations.ts';
import { servingTab as servingTabOf } from './support/serving-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { chatOutput } from './support/tiny-tokens.ts';

const track = closeAfterEach();

/** Takes the task and holds it: the test decides when (and whether) the tab answers. */
function holding(held: TaskAssign[]): AssignmentHandler {
  return (assign, tab) => {
    held.push(assign);
    tab.socket.emit('task:accept', { taskId: assign.taskId });
  };
}

function servingTab(server: TestApp, onAssign: AssignmentHandler = answerHonestly): Promise<ScriptedTab> {
  return servingTabOf(server, track, { onAssign });
}

function chatBody(content: string, stream = false): string {
  return JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content }], stream });
}

describe('fail fast, never hang, never serve the abandoned', () => {
  it("the official client's retries meet three quick 503s that honour Retry-After, and no task is stored", async () => {
    const server = track(await startTestApp({ queueTimeoutMs: 120_000 }));
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 2 });
    const started = Date.now();
    const failure = await client.chat.completions.create({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'hello?' }] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const waited = Date.now() - started;
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).status).toBe(503);
    expect((failure as APIError).code).toBe('no_capacity');
    // Two retries, each after the 2 s the answer asked for: about 4 s, not the queue timeout.
    expect(waited).toBeGreaterThanOrEqual(3900);
    expect(waited).toBeLessThan(10_000);
    expect(await metric(server, 'tessera_tasks_submitted_total{kind="chat"}')).toBe(0);
  }, 20_000);

  it('a waiting stream gets keep-alive comments until its answer, which parsers skip', async () => {
    const server = track(await startTestApp({ keepAliveMs: 50 }));
    const held: TaskAssign[] = [];
    const tab = await servingTab(server, holding(held));
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody('take your time', true),
    });
    expect(response.status).toBe(200);
    const assign = await eventually(() => held[0], 3000, 'assignment');
    await new Promise((resolve) => setTimeout(resolve, 300));
    answerHonestly(assign, tab);
    const text = await response.text();
    expect(text.match(/^: keep-alive$/gm)?.length ?? 0).toBeGreaterThanOrEqual(3);
    expect(text).toContain('echo: take your time'.split(' ')[0]);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a caller that goes away cancels its running task: the tab is told, and its late answer earns nothing', async () => {
    const server = track(await startTestApp());
    const held: TaskAssign[] = [];
    const tab = await servingTab(server, holding(held));
    const controller = new AbortController();
    const request = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody('never mind'),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    const assign = await eventually(() => held[0], 3000, 'assignment');
    controller.abort();
    await request;
    const cancel = await eventually(() => cancelsFor(tab, assign.taskId)[0], 3000, 'task:cancel to the tab');
    expect(cancel).toContain('caller closed the connection');
    const id = taskIdSchema.parse(assign.taskId);
    expect((await getTask(server, id)).status).toBe('cancelled');
    tab.sendResult(assign.taskId, chatOutput('echo: never mind'));
    await eventually(
      () => tab.received.find((message) => message.event === 'protocol:error' && message.payload.error.code === 'not_assigned'),
      3000,
      'late answer refused',
    );
    expect(server.app.tessera.store.get(id)?.result).toBeNull();
    expect(await metric(server, 'tessera_tasks_finished_total{status="succeeded"}')).toBe(0);
  });

  it('a caller that goes away while its task waits in the queue takes it out of the queue', async () => {
    const server = track(await startTestApp());
    const held: TaskAssign[] = [];
    // The only tab is busy with a first task: the second waits in the queue.
    await servingTab(server, holding(held));
    const firstCaller = new AbortController();
    const first = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody('first'),
      signal: firstCaller.signal,
    }).catch((error: unknown) => error);
    await eventually(() => held[0], 3000, 'the tab busy');
    const controller = new AbortController();
    const second = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody('queued, then abandoned', true),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    const queued = await eventually(() => (server.app.tessera.dispatcher.openCounts().queued === 1 ? true : undefined), 3000, 'queued');
    expect(queued).toBe(true);
    controller.abort();
    await second;
    await eventually(() => (server.app.tessera.dispatcher.openCounts().queued === 0 ? true : undefined), 3000, 'out of the queue');
    expect(await metric(server, 'tessera_tasks_finished_total{status="cancelled"}')).toBe(1);
    expect(held).toHaveLength(1);
    firstCaller.abort();
    await first;
  });
});
