import {
  API_NAMESPACE,
  TINY_GPT2_ID,
  WEBHOOK_ATTEMPT_HEADER,
  apiServerToClientSchemas,
  apiStreamAckSchema,
  createdApiKeySchema,
  createdTaskViewSchema,
  type ApiTaskEnded,
} from '@tessera/shared';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, type TestApp } from './support/test-app.ts';
import { testCluster } from './support/test-cluster.ts';

const track = closeAfterEach();
const cluster = testCluster('developer-stream-cluster.test.ts', track);
const ADMIN = 'admin-secret-for-cluster-stream';

async function servingTab(server: TestApp): Promise<void> {
  const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
  await tab.ready();
  await eventually(() => (server.app.tessera.registry.get(tab.nodeId)?.models.size === 1 ? true : undefined), 3000, 'serving');
}

async function createKey(server: TestApp): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tessera-admin-token': ADMIN },
    body: JSON.stringify({ name: 'cluster' }),
  });
  return createdApiKeySchema.parse(await response.json()).key;
}

async function submit(server: TestApp, key: string, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      type: 'chat.completion',
      request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'across' }] },
      ...body,
    }),
  });
  expect(response.status).toBe(202);
  return createdTaskViewSchema.parse(await response.json()).id;
}

async function streamClient(server: TestApp, key: string): Promise<{ socket: Socket; chunks: string[]; ended: ApiTaskEnded[] }> {
  const socket = io(`${server.url}${API_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { key } });
  track({ close: () => socket.close() });
  const chunks: string[] = [];
  const ended: ApiTaskEnded[] = [];
  socket.on('task:chunk', (payload: unknown) => chunks.push(apiServerToClientSchemas['task:chunk'].parse(payload).delta));
  socket.on('task:ended', (payload: unknown) => ended.push(apiServerToClientSchemas['task:ended'].parse(payload)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, chunks, ended };
}

cluster.describe('the /api stream and webhooks with two instances', () => {
  it("streams a task served by another instance's tab, and follows the key's tasks submitted on the other instance", async () => {
    const [a, b] = await cluster.twoInstances({ adminToken: ADMIN });
    const key = await createKey(a);
    const client = await streamClient(a, key);
    const taskId = await submit(a, key, { wait_for_tab: true });
    expect(apiStreamAckSchema.parse(await client.socket.timeout(3000).emitWithAck('task:subscribe', { taskId }))).toEqual({ ok: true });
    expect(apiStreamAckSchema.parse(await client.socket.timeout(3000).emitWithAck('tasks:subscribe-own', {}))).toEqual({ ok: true });
    await servingTab(b);
    const ended = await eventually(() => client.ended.find((event) => event.task.id === taskId), 10_000, 'the task ended');
    expect(ended.task.status).toBe('succeeded');
    expect(client.chunks.join('')).toBe('echo: across');

    const elsewhere = await submit(b, key, {});
    const heard = await eventually(() => client.ended.find((event) => event.task.id === elsewhere), 10_000, "the other instance's task");
    expect(heard.task.status).toBe('succeeded');
  });

  it('delivers a webhook exactly once though both instances poll for it', async () => {
    const received: string[] = [];
    const receiver = createServer((request, response) => {
      received.push(String(request.headers[WEBHOOK_ATTEMPT_HEADER]));
      request.resume();
      request.on('end', () => response.end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    track({ close: () => new Promise((resolve) => receiver.close(resolve)) });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const [a, b] = await cluster.twoInstances({ adminToken: ADMIN, webhookAllowPrivate: '1', webhookRetryBaseMs: 50 });
    const key = await createKey(a);
    await servingTab(b);
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) ids.push(await submit(index % 2 === 0 ? a : b, key, { webhook_url: url }));
    await eventually(
      () => (ids.every((id) => a.app.tessera.webhookDeliveries.state(id)?.status === 'delivered') ? true : undefined),
      10_000,
      'all delivered',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toEqual(['1', '1', '1', '1', '1']);
  });
});
