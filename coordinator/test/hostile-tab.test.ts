import {
  PROTOCOL_VERSION,
  TINY_GPT2_ID,
  WORKER_NAMESPACE,
  newTaskId,
  protocolErrorSchema,
  resultSigningBytes,
  toBase64Url,
} from '@tessera/shared';
import { sign } from 'node:crypto';
import type { ProtocolError, TaskAssign } from '@tessera/shared';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { chatOutput } from './support/tiny-tokens.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, capabilitiesFor, loaded, newIdentity } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

let server: TestApp | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function rawSocket(url: string) {
  const socket = io(`${url}${WORKER_NAMESPACE}`, { transports: ['websocket'], reconnection: false, forceNew: true });
  const errors: ProtocolError[] = [];
  socket.on('protocol:error', (payload: unknown) => errors.push(protocolErrorSchema.parse(payload)));
  return { socket, errors };
}

const hello = () => ({
  protocolVersion: PROTOCOL_VERSION,
  role: 'worker',
  publicKey: newIdentity().publicKey,
  capabilities: capabilitiesFor([loaded(TINY_GPT2_ID)]),
});

describe('a hostile tab sending garbage over the socket', () => {
  it('is refused message by message, changes no state, and the coordinator keeps serving', async () => {
    server = await startTestApp();
    const { socket, errors } = rawSocket(server.url);
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    const before = server.app.tessera.store.counts();

    socket.emit('task:result', { taskId: 'x' }); // before hello
    socket.emit('worker:hello', { protocolVersion: PROTOCOL_VERSION }); // incomplete hello
    await eventually(() => (errors.length >= 2 ? true : undefined), 2000, 'two refusals');
    expect(server.app.tessera.registry.size).toBe(0);

    socket.emit('worker:hello', hello());
    await eventually(() => (server?.app.tessera.registry.size === 1 ? true : undefined), 2000, 'join');
    const garbage: Array<[string, ...unknown[]]> = [
      ['made:up', { a: 1 }],
      ['task:result', 'not an object'],
      [
        'task:result',
        {
          taskId: crypto.randomUUID(),
          output: { kind: 'chat', text: 'x', finishReason: 'stop', tokenIds: [] },
          usage: { promptTokens: 0, completionTokens: 0 },
          timings: { firstTokenMs: null, totalMs: 1 },
          signature: 'x'.repeat(86),
        },
      ],
      ['task:chunk', { taskId: crypto.randomUUID(), seq: -1, delta: 'x' }],
      ['task:error', { taskId: crypto.randomUUID(), code: 'no_such_code', message: 'x', retryable: true }],
      ['worker:heartbeat', { activeTaskIds: [], models: [], extra: 'field' }],
      ['worker:hello', hello()],
      ['task:accept', { taskId: crypto.randomUUID() }, 'two payloads'],
      ['task:chunk', { taskId: crypto.randomUUID(), seq: 0, delta: 'y'.repeat(100_000) }],
    ];
    for (const [event, ...args] of garbage) socket.emit(event, ...args);
    await eventually(() => (errors.length >= 2 + garbage.length ? true : undefined), 3000, 'every garbage message refused');
    expect(errors.map((error) => error.error.code)).toEqual(expect.arrayContaining(['protocol_violation', 'signature_invalid']));
    expect(server.app.tessera.store.counts()).toEqual(before);

    const honest = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly });
    await honest.ready();
    // The hostile tab holds a registered session that never answers; make it ineligible by disconnecting it.
    socket.disconnect();
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'still fine' }] }),
    });
    expect((await response.json()).choices[0].message.content).toBe('echo: still fine');
    honest.close();
  });

  it('a result that does not answer its task is refused and the task goes to an honest tab', async () => {
    server = await startTestApp();
    const liar = new ScriptedTab({
      url: server.url,
      models: [loaded(TINY_GPT2_ID)],
      onAssign: (assign: TaskAssign, tab) => tab.sendResult(assign.taskId, { kind: 'embeddings', vectors: [[1]] }),
    });
    await liar.ready();
    const responsePromise = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'truth' }] }),
    });
    await eventually(() => liar.received.find((message) => message.event === 'protocol:error'), 3000, 'refusal');
    liar.close();
    const honest = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly });
    await honest.ready();
    expect((await (await responsePromise).json()).choices[0].message.content).toBe('echo: truth');
    honest.close();
  });

  it('a tab that keeps sending garbage is disconnected', async () => {
    server = await startTestApp();
    const { socket } = rawSocket(server.url);
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    const disconnected = new Promise<void>((resolve) => socket.on('disconnect', () => resolve()));
    for (let i = 0; i < 60; i++) socket.emit('garbage', i);
    await disconnected;
    expect(socket.connected).toBe(false);
  });

  it('a tab speaking another protocol version is told so and dropped', async () => {
    server = await startTestApp();
    const { socket, errors } = rawSocket(server.url);
    socket.emit('worker:hello', { ...hello(), protocolVersion: PROTOCOL_VERSION + 1 });
    await new Promise<void>((resolve) => socket.on('disconnect', () => resolve()));
    expect(errors[0]?.error.code).toBe('protocol_version_unsupported');
  });

  it('refuses results for tasks the tab does not hold, forged signatures and replays from another connection', async () => {
    server = await startTestApp();
    const held: TaskAssign[] = [];
    const identity = newIdentity();
    const first = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], identity, onAssign: (assign) => held.push(assign) });
    await first.ready();
    const output = chatOutput('echo: forged');
    const usage = { promptTokens: 1, completionTokens: 2 };

    first.sendResult(newTaskId(), output, usage);
    await eventually(
      () => first.received.find((m) => m.event === 'protocol:error' && m.payload.error.code === 'not_assigned'),
      2000,
      'not_assigned',
    );

    const responsePromise = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'forged' }] }),
    });
    const assign = await eventually(() => held[0], 3000, 'assignment');
    // Signed by someone else's key: refused, and the task counts as failed on this tab.
    const stranger = newIdentity();
    const forged = toBase64Url(
      sign(null, resultSigningBytes({ nodeId: first.nodeId, taskId: assign.taskId, output, usage }), stranger.privateKey),
    );
    first.socket.emit('task:result', { taskId: assign.taskId, output, usage, timings: { firstTokenMs: 1, totalMs: 2 }, signature: forged });
    await eventually(
      () => first.received.find((m) => m.event === 'protocol:error' && m.payload.error.code === 'signature_invalid'),
      2000,
      'signature_invalid',
    );

    // The same key on a new connection cannot replay a signature made for the old one.
    const replayed = first.signResult(assign.taskId, output, usage);
    const second: ScriptedTab = new ScriptedTab({
      url: server.url,
      models: [loaded(TINY_GPT2_ID)],
      identity,
      onAssign: (next: TaskAssign): unknown =>
        second.socket.emit('task:result', {
          taskId: next.taskId,
          output,
          usage,
          timings: { firstTokenMs: 1, totalMs: 2 },
          signature: replayed,
        }),
    });
    await second.ready();
    first.close();
    await eventually(
      () => second.received.find((m) => m.event === 'protocol:error' && m.payload.error.code === 'signature_invalid'),
      3000,
      'replay refused',
    );
    second.close();
    const honest = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly });
    await honest.ready();
    const body = await (await responsePromise).json();
    expect(body.choices[0].message.content).toBe('echo: forged');
    honest.close();
  });
});
