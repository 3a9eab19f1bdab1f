import { TINY_GPT2_ID, createdTaskViewSchema, openAIErrorBodySchema, taskIdSchema, taskViewSchema } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, type AssignmentHandler } from './support/scripted-tab.ts';
import { cancelsFor, getTask, metric } from './support/task-observations.ts';
import { servingTab as servingTabOf } from './support/serving-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const track = closeAfterEach();

function taskBody(content: string): string {
  return JSON.stringify({
    type: 'chat.completion',
    request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content }] },
    wait_for_tab: true,
  });
}

function post(server: TestApp, path: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function servingTab(server: TestApp, onAssign: AssignmentHandler = answerHonestly): Promise<ScriptedTab> {
  return servingTabOf(server, track, { onAssign });
}

describe('Idempotency-Key: a retry gets the task its first request created', () => {
  it('the tasks API answers a repeat with the same task (200, no cancel token), per client, and refuses a key reused for another request', async () => {
    const server = track(await startTestApp({ trustProxy: 'loopback' }));
    const from = (address: string, key: string) => ({ 'idempotency-key': key, 'x-forwarded-for': address });
    const first = await post(server, '/api/v1/tasks', taskBody('once'), from('198.51.100.1', 'key-1'));
    expect(first.status).toBe(202);
    const created = createdTaskViewSchema.parse(await first.json());
    const again = await post(server, '/api/v1/tasks', taskBody('once'), from('198.51.100.1', 'key-1'));
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const replayed = (await again.json()) as Record<string, unknown>;
    expect(taskViewSchema.parse(replayed).id).toBe(created.id);
    expect(replayed).not.toHaveProperty('cancel_token');
    expect(await metric(server, 'tessera_tasks_submitted_total{kind="chat"}')).toBe(1);

    // The same key from another client is another key.
    const other = await post(server, '/api/v1/tasks', taskBody('once'), from('198.51.100.2', 'key-1'));
    expect(other.status).toBe(202);
    expect(createdTaskViewSchema.parse(await other.json()).id).not.toBe(created.id);
    // The same key for a different request is refused, and changes nothing.
    const reused = await post(server, '/api/v1/tasks', taskBody('twice?'), from('198.51.100.1', 'key-1'));
    expect(reused.status).toBe(400);
    const error = openAIErrorBodySchema.parse(await reused.json()).error;
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('different request');
    const bad = await post(server, '/api/v1/tasks', taskBody('once'), from('198.51.100.1', 'x'.repeat(256)));
    expect(bad.status).toBe(400);
    expect(await metric(server, 'tessera_tasks_submitted_total{kind="chat"}')).toBe(2);
  });

  it("the official client's retry after a timeout, with an Idempotency-Key header, waits on the first task instead of making a second", async () => {
    const server = track(await startTestApp());
    const held: TaskAssign[] = [];
    const tab = await servingTab(server, (assign) => held.push(assign));
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', timeout: 600, maxRetries: 1 });
    // The SDK sends the request's headers again on each retry: one key for the logical request.
    const answer = client.chat.completions.create(
      { model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'slow one' }] },
      { headers: { 'Idempotency-Key': 'slow-one-1' } },
    );
    const assign = await eventually(() => held[0], 3000, 'assignment');
    // The first attempt times out and leaves; the client's retry, with the same key, waits on the same task.
    const id = taskIdSchema.parse(assign.taskId);
    await eventually(() => (server.app.tessera.dispatcher.awaited(id) ? undefined : true), 3000, 'first attempt gone');
    await eventually(() => (server.app.tessera.dispatcher.awaited(id) ? true : undefined), 3000, 'the retry waiting on it');
    answerHonestly(assign, tab);
    const completion = await answer;
    expect(completion.choices[0]?.message.content).toBe('echo: slow one');
    expect(held).toHaveLength(1);
    expect(await metric(server, 'tessera_tasks_submitted_total{kind="chat"}')).toBe(1);
  });

  it('a caller with a key that never comes back has its task cancelled after the grace', async () => {
    const server = track(await startTestApp({ abandonGraceMs: 300 }));
    const held: TaskAssign[] = [];
    const tab = await servingTab(server, (assign) => held.push(assign));
    const controller = new AbortController();
    const aborted = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'gone-for-good' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'gone for good' }] }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    const assign = await eventually(() => held[0], 3000, 'assignment');
    controller.abort();
    await aborted;
    const id = taskIdSchema.parse(assign.taskId);
    // Still running within the grace (a retry could come for it); cancelled after it.
    expect((await getTask(server, id)).status).toBe('assigned');
    await eventually(() => cancelsFor(tab, id)[0], 3000, 'task:cancel after the grace');
    expect((await getTask(server, id)).status).toBe('cancelled');
    // A retry with the key now runs anew: the cancelled task is not answered again.
    const retried = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'gone-for-good' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'gone for good' }] }),
    });
    const second = await eventually(() => held[1], 3000, 'a new assignment');
    expect(second.taskId).not.toBe(assign.taskId);
    answerHonestly(second, tab);
    expect((await retried).status).toBe(200);
  });
});
