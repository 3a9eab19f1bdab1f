import {
  API_NAMESPACE,
  TINY_GPT2_ID,
  apiServerToClientSchemas,
  apiStreamAckSchema,
  createdApiKeySchema,
  createdTaskViewSchema,
  taskViewSchema,
  wireErrorSchema,
  type ApiStreamError,
  type ApiTaskEnded,
  type ApiTaskStatus,
} from '@tessera/shared';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it, vi } from 'vitest';
import { taskStream } from './snippets/task-stream.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const track = closeAfterEach();
const ADMIN = 'admin-secret-for-stream-tests';

async function servingTab(server: TestApp): Promise<ScriptedTab> {
  const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
  await tab.ready();
  await eventually(() => (server.app.tessera.registry.get(tab.nodeId)?.models.size === 1 ? true : undefined), 3000, 'serving');
  return tab;
}

async function createKey(server: TestApp, name = 'stream'): Promise<{ key: string; id: string }> {
  const response = await fetch(`${server.url}/api/v1/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tessera-admin-token': ADMIN },
    body: JSON.stringify({ name }),
  });
  expect(response.status).toBe(201);
  const created = createdApiKeySchema.parse(await response.json());
  return { key: created.key, id: created.id };
}

async function submit(server: TestApp, key: string, content: string, waitForTab = false): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      type: 'chat.completion',
      request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content }] },
      wait_for_tab: waitForTab,
    }),
  });
  expect(response.status).toBe(202);
  return createdTaskViewSchema.parse(await response.json()).id;
}

/** A developer's `/api` connection that records, parsed with the shared schemas, everything it is sent. */
class StreamClient {
  readonly socket: Socket;
  readonly statuses: ApiTaskStatus[] = [];
  readonly chunks: { taskId: string; delta: string }[] = [];
  readonly ended: ApiTaskEnded[] = [];
  readonly errors: ApiStreamError[] = [];

  constructor(server: TestApp, options: { key?: string; headers?: Record<string, string> }) {
    this.socket = io(`${server.url}${API_NAMESPACE}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      ...(options.key === undefined ? {} : { auth: { key: options.key } }),
      ...(options.headers === undefined ? {} : { extraHeaders: options.headers }),
    });
    this.socket.on('task:status', (payload: unknown) => this.statuses.push(apiServerToClientSchemas['task:status'].parse(payload)));
    this.socket.on('task:chunk', (payload: unknown) => this.chunks.push(apiServerToClientSchemas['task:chunk'].parse(payload)));
    this.socket.on('task:ended', (payload: unknown) => this.ended.push(apiServerToClientSchemas['task:ended'].parse(payload)));
    this.socket.on('api:error', (payload: unknown) => this.errors.push(apiServerToClientSchemas['api:error'].parse(payload)));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  /** Why the handshake was refused: the error's `data`, a WireError. */
  refused(): Promise<ReturnType<typeof wireErrorSchema.parse>> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => reject(new Error('connected')));
      this.socket.once('connect_error', (error: Error & { data?: unknown }) => resolve(wireErrorSchema.parse(error.data)));
    });
  }

  async send(event: string, ...args: unknown[]): Promise<ReturnType<typeof apiStreamAckSchema.parse>> {
    return apiStreamAckSchema.parse(await this.socket.timeout(3000).emitWithAck(event, ...args));
  }

  textOf(taskId: string): string {
    return this.chunks
      .filter((chunk) => chunk.taskId === taskId)
      .map((chunk) => chunk.delta)
      .join('');
  }

  close(): void {
    this.socket.close();
  }
}

async function connect(server: TestApp, key: string): Promise<StreamClient> {
  const client = track(new StreamClient(server, { key }));
  await client.connected();
  return client;
}

async function taskView(server: TestApp, id: string): Promise<unknown> {
  return taskViewSchema.parse(await (await fetch(`${server.url}/api/v1/tasks/${id}`)).json());
}

describe('the /api task stream', () => {
  it('follows a task of its key: status queued, then assigned, every chunk in order, then the view GET answers', async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    const { key } = await createKey(server);
    const taskId = await submit(server, key, 'streamed to a socket', true);
    const client = await connect(server, key);
    expect(await client.send('task:subscribe', { taskId })).toEqual({ ok: true });
    // The status as it is now comes before the acknowledgement.
    expect(client.statuses).toEqual([{ taskId, status: 'queued', attempts: 0 }]);

    await servingTab(server);
    const ended = await eventually(() => client.ended.at(0), 5000, 'task:ended');
    expect(client.statuses.map((status) => status.status)).toEqual(['queued', 'assigned']);
    expect(client.statuses[1]).toEqual({ taskId, status: 'assigned', attempts: 1 });
    expect(client.textOf(taskId)).toBe('echo: streamed to a socket');
    expect(client.chunks.length).toBeGreaterThan(1);
    expect(ended.task.status).toBe('succeeded');
    expect(ended.task).toEqual(await taskView(server, taskId));

    // A subscription to a task that ended gets its end at once, and nothing else.
    expect(await client.send('task:subscribe', { taskId })).toEqual({ ok: true });
    await eventually(() => client.ended.at(1), 2000, 'the second task:ended');
    expect(client.ended[1]).toEqual(ended);
    expect(client.errors).toEqual([]);
  });

  it("tasks:subscribe-own hears every task its key submits afterwards, and none of another key's", async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    const mine = await createKey(server, 'mine');
    const theirs = await createKey(server, 'theirs');
    await servingTab(server);
    const before = await submit(server, mine.key, 'before subscribing');
    await eventually(async () => ((await taskView(server, before)) as { status: string }).status === 'succeeded' || undefined, 5000);

    const client = await connect(server, mine.key);
    expect(await client.send('tasks:subscribe-own', {})).toEqual({ ok: true });
    const other = await submit(server, theirs.key, 'not yours');
    const own = await submit(server, mine.key, 'yours');
    const ended = await eventually(() => client.ended.at(0), 5000, 'own task ended');
    expect(ended.task.id).toBe(own);
    expect(client.textOf(own)).toBe('echo: yours');
    expect(client.statuses.at(0)).toMatchObject({ taskId: own });
    await eventually(async () => ((await taskView(server, other)) as { status: string }).status === 'succeeded' || undefined, 5000);
    const seen = new Set([...client.statuses, ...client.chunks].map((event) => event.taskId));
    expect(seen).toEqual(new Set([own]));
    expect(client.ended).toHaveLength(1);
  });

  it("refuses another key's task exactly as a task that does not exist, and follows nothing", async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    const mine = await createKey(server, 'mine');
    const theirs = await createKey(server, 'theirs');
    const otherTask = await submit(server, theirs.key, 'private', true);
    const client = await connect(server, mine.key);
    const refusedOther = await client.send('task:subscribe', { taskId: otherTask });
    const missing = randomUUID();
    const refusedMissing = await client.send('task:subscribe', { taskId: missing });
    expect(refusedOther).toMatchObject({ ok: false, error: { code: 'task_not_found', retryable: false } });
    expect(refusedMissing).toMatchObject({ ok: false, error: { code: 'task_not_found' } });
    // The same words, but for the id: nothing tells that one of them exists.
    const words = (ack: typeof refusedOther, id: string): string => (ack.ok ? '' : ack.error.message.replace(id, '<id>'));
    expect(words(refusedOther, otherTask)).toBe(words(refusedMissing, missing));
    await eventually(() => client.errors.at(1), 2000, 'api:error events');
    expect(client.errors.map((error) => [error.event, error.taskId, error.error.code])).toEqual([
      ['task:subscribe', otherTask, 'task_not_found'],
      ['task:subscribe', missing, 'task_not_found'],
    ]);
    await servingTab(server);
    await eventually(async () => ((await taskView(server, otherTask)) as { status: string }).status === 'succeeded' || undefined, 5000);
    expect([client.statuses, client.chunks, client.ended]).toEqual([[], [], []]);
  });

  it('refuses a handshake without a live key: none, a made-up one, a revoked one, another token; takes Authorization: Bearer', async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    const { key, id } = await createKey(server);
    const attempts: { key?: string; headers?: Record<string, string> }[] = [
      {},
      { key: `tsra_${'x'.repeat(43)}` },
      { key: 'sk-not-a-tessera-key' },
      { headers: { authorization: 'Bearer sk-other' } },
    ];
    for (const attempt of attempts) {
      const refused = await track(new StreamClient(server, attempt)).refused();
      expect(refused.code).toBe('invalid_api_key');
      expect(refused.message.length).toBeGreaterThan(10);
    }
    const byHeader = track(new StreamClient(server, { headers: { authorization: `Bearer ${key}` } }));
    await byHeader.connected();
    expect(await byHeader.send('tasks:subscribe-own', {})).toEqual({ ok: true });

    const revoked = await fetch(`${server.url}/api/v1/admin/keys/${id}`, { method: 'DELETE', headers: { 'x-tessera-admin-token': ADMIN } });
    expect(revoked.status).toBe(200);
    expect((await track(new StreamClient(server, { key })).refused()).code).toBe('invalid_api_key');
    // The connection made before the revocation is refused at its next request, and closed.
    expect(await byHeader.send('task:subscribe', { taskId: randomUUID() })).toMatchObject({
      ok: false,
      error: { code: 'invalid_api_key' },
    });
    await eventually(() => (byHeader.socket.connected ? undefined : true), 2000, 'the revoked connection closed');
  });

  it('answers malformed events with protocol_violation and changes nothing', async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    const { key } = await createKey(server);
    const taskId = await submit(server, key, 'still mine', true);
    const client = await connect(server, key);
    const malformed: [string, ...unknown[]][] = [
      ['task:subscribe', { taskId: 'not-a-uuid' }],
      ['task:subscribe', { taskId, extra: true }],
      ['task:subscribe', 'text'],
      ['task:subscribe', { taskId }, { taskId }],
      ['tasks:subscribe-own', { everything: true }],
      ['task:steal', { taskId }],
    ];
    for (const [event, ...args] of malformed) {
      const ack = await client.send(event, ...args);
      expect(ack).toMatchObject({ ok: false, error: { code: 'protocol_violation' } });
    }
    // Without an acknowledgement the refusal comes as an event.
    client.socket.emit('task:unsubscribe', { taskId: 42 });
    await eventually(() => client.errors.at(malformed.length), 2000, 'the last api:error');
    expect(client.errors.map((error) => error.event)).toEqual([...malformed.map(([event]) => event), 'task:unsubscribe']);
    expect(client.errors.every((error) => error.error.code === 'protocol_violation')).toBe(true);
    await servingTab(server);
    await eventually(async () => ((await taskView(server, taskId)) as { status: string }).status === 'succeeded' || undefined, 5000);
    expect([client.statuses, client.chunks, client.ended]).toEqual([[], [], []]);

    // The connection still works.
    expect(await client.send('task:subscribe', { taskId })).toEqual({ ok: true });
    expect((await eventually(() => client.ended.at(0), 2000, 'task:ended')).task.id).toBe(taskId);
  });

  it('bounds subscriptions per connection: the 101st is refused until one ends', async () => {
    const server = track(await startTestApp({ adminToken: ADMIN }));
    const { key } = await createKey(server);
    const ids: string[] = [];
    for (let index = 0; index < 101; index += 1) ids.push(await submit(server, key, `queued ${index}`, true));
    const client = await connect(server, key);
    for (const taskId of ids.slice(0, 100)) expect(await client.send('task:subscribe', { taskId })).toEqual({ ok: true });
    const last = ids[100] ?? '';
    expect(await client.send('task:subscribe', { taskId: last })).toMatchObject({
      ok: false,
      error: { code: 'too_many_subscriptions', retryable: true },
    });
    expect(await client.send('task:unsubscribe', { taskId: ids[0] })).toEqual({ ok: true });
    expect(await client.send('task:subscribe', { taskId: last })).toEqual({ ok: true });
    await eventually(() => (client.statuses.some((status) => status.taskId === last) ? true : undefined), 2000, 'its status');
  });

  it("the root README's snippet follows its key's task: status, text, end; the README shows it verbatim", async () => {
    const source = readFileSync(new URL('./snippets/task-stream.ts', import.meta.url), 'utf8');
    const from = source.indexOf('// README: from here\n') + '// README: from here\n'.length;
    const body = source
      .slice(from, source.indexOf('  // README: to here'))
      .split('\n')
      .map((line) => line.replace(/^ {2}/, ''))
      .join('\n')
      .trimEnd();
    const imports = source.split('\n').filter((line) => line.startsWith('import '));
    const block = ['```ts', ...imports, '', "const TESSERA = 'http://127.0.0.1:8787';", body, '```'].join('\n');
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(block);

    const server = track(await startTestApp({ adminToken: ADMIN }));
    const { key } = await createKey(server);
    await servingTab(server);
    const logged: unknown[] = [];
    let written = '';
    const log = vi.spyOn(console, 'log').mockImplementation((value: unknown) => void logged.push(value));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      return true;
    });
    vi.stubEnv('TESSERA_API_KEY', key);
    try {
      await taskStream(server.url);
    } finally {
      log.mockRestore();
      write.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(logged.at(-1)).toBe('succeeded');
    expect(logged.slice(0, -1)).toContain('assigned');
    expect(written).toBe('echo: Tessera');
  });
});
