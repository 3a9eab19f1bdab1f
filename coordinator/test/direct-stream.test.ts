import {
  TINY_GPT2_ID,
  directStreamKeySchema,
  newNodeId,
  newPeerSessionId,
  openAIErrorBodySchema,
  taskIdSchema,
  taskViewSchema,
} from '@tessera/shared';
import type { DirectStreamRequest, IceServer, NodeId, OfferedModel, PeerSignalRelayed, TaskId, TaskView } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { chatOutput } from './support/tiny-tokens.ts';
import { loadConfig } from '../src/config.ts';
import type { TaskRecord } from '../src/tasks/task-record.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { assignsFor, getTask, metric, resultText } from './support/task-observations.ts';
import { drained, refused } from './support/socket-refusals.ts';
import { answerHonestly, echoText } from './support/honest-answers.ts';
import { ScriptedTab, isCanary, type AssignmentHandler } from './support/scripted-tab.ts';
import { servingTab as servingTabOf } from './support/serving-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const track = closeAfterEach();

const offer = { type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const answer = { type: 'answer' as const, sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' };

/** Takes the task and holds it: the test decides when (and whether) the tab answers. */
const accept: AssignmentHandler = (assign, tab) => tab.socket.emit('task:accept', { taskId: assign.taskId });

function createTaskBody(content: string, directStream?: unknown, waitForTab?: boolean) {
  return {
    type: 'chat.completion',
    request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content }], temperature: 0 },
    ...(directStream === undefined ? {} : { direct_stream: directStream }),
    ...(waitForTab === undefined ? {} : { wait_for_tab: waitForTab }),
  };
}

async function postTask(server: TestApp, body: unknown): Promise<Response> {
  return fetch(`${server.url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function submitDirect(server: TestApp, content: string, requester: ScriptedTab, waitForTab?: boolean): Promise<TaskId> {
  const response = await postTask(server, createTaskBody(content, directStreamOf(requester), waitForTab));
  expect(response.status).toBe(202);
  return taskIdSchema.parse(taskViewSchema.parse(await response.json()).id);
}

function directStreamOf(requester: ScriptedTab): DirectStreamRequest {
  const welcome = requester.welcome;
  if (welcome === undefined) throw new Error('requester not welcomed yet');
  return { node_id: welcome.nodeId, stream_key: welcome.directStreamKey };
}

function stored(server: TestApp, id: TaskId): TaskRecord | undefined {
  return server.app.tessera.store.get(id);
}

async function succeeded(server: TestApp, id: string): Promise<TaskView> {
  return eventually(
    async () => {
      const task = await getTask(server, id);
      return task.status === 'succeeded' ? task : undefined;
    },
    5000,
    `task ${id} to succeed`,
  );
}

function signalsFrom(tab: ScriptedTab, from: NodeId): PeerSignalRelayed[] {
  return tab.received.flatMap((message) => (message.event === 'peer:signal' && message.payload.from === from ? [message.payload] : []));
}

/** `peer:signal` from one tab to another, relayed by the coordinator; resolves with what `to` received. */
async function signal(from: ScriptedTab, to: ScriptedTab, data: typeof offer | typeof answer = offer): Promise<PeerSignalRelayed> {
  const before = signalsFrom(to, from.nodeId).length;
  const sessionId = newPeerSessionId();
  from.socket.emit('peer:signal', { to: to.nodeId, sessionId, data });
  const relayed = await eventually(() => signalsFrom(to, from.nodeId)[before], 3000, 'relayed peer:signal');
  expect(relayed).toEqual({ to: to.nodeId, from: from.nodeId, sessionId, data });
  return relayed;
}

async function requesterTab(server: TestApp): Promise<ScriptedTab> {
  const tab = track(new ScriptedTab({ url: server.url, role: 'requester', models: [] }));
  await tab.ready();
  return tab;
}

function servingTab(server: TestApp, onAssign: AssignmentHandler = accept, models?: readonly OfferedModel[]): Promise<ScriptedTab> {
  return servingTabOf(server, track, { onAssign, models });
}

describe('requester tabs', () => {
  it('are welcomed with their own direct-stream key and no ICE servers by default, and given no work', async () => {
    const server = track(await startTestApp());
    const requester = await requesterTab(server);
    const worker = await servingTab(server);
    const welcome = requester.welcome;
    expect(welcome?.iceServers).toEqual([]);
    expect(directStreamKeySchema.safeParse(welcome?.directStreamKey).success).toBe(true);
    // Every connection has its own key: one tab's key proves nothing about another.
    expect(worker.welcome?.directStreamKey).not.toBe(welcome?.directStreamKey);
    const another = await requesterTab(server);
    expect(another.welcome?.directStreamKey).not.toBe(welcome?.directStreamKey);
    expect(server.app.tessera.registry.get(requester.nodeId)?.role).toBe('requester');
    expect(await metric(server, 'tessera_workers_connected{role="requester"}')).toBe(2);

    // A requester is never placed, even when nothing else could take the task; nor does it count as a tab
    // that could serve it: asked to fail fast, the task is refused.
    worker.close();
    await eventually(() => (server.app.tessera.registry.get(worker.nodeId) === undefined ? true : undefined), 3000, 'worker gone');
    expect((await postTask(server, createTaskBody('anyone?'))).status).toBe(503);
    const view = taskViewSchema.parse(await (await postTask(server, createTaskBody('anyone?', undefined, true))).json());
    await drained(requester);
    expect(requester.received.filter((message) => message.event === 'task:assign')).toEqual([]);
    expect((await getTask(server, view.id)).status).toBe('queued');
  });

  it('get the configured ICE servers (TESSERA_ICE_SERVERS), as every tab does', async () => {
    const iceServers: IceServer[] = [
      { urls: 'stun:stun.example.org:3478' },
      { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'], username: 'user', credential: 'secret' },
    ];
    const server = track(await startTestApp({ iceServers: JSON.stringify(iceServers) }));
    const requester = await requesterTab(server);
    const worker = await servingTab(server);
    expect(requester.welcome?.iceServers).toEqual(iceServers);
    expect(worker.welcome?.iceServers).toEqual(iceServers);
  });

  it('refuses an ICE server list that is not JSON or not ICE servers', () => {
    expect(() => loadConfig({ TESSERA_ICE_SERVERS: 'stun:stun.example.org' })).toThrow(/iceServers \(TESSERA_ICE_SERVERS\): not JSON/);
    expect(() => loadConfig({}, { iceServers: JSON.stringify([{ url: 'stun:stun.example.org' }]) })).toThrow(
      /iceServers.*not a list of ICE servers/,
    );
    expect(loadConfig({}, { iceServers: JSON.stringify([{ urls: 'stun:a.example.org' }]) }).iceServers).toEqual([
      { urls: 'stun:a.example.org' },
    ]);
  });
});

describe('POST /api/v1/tasks with direct_stream', () => {
  it('assigns the task with the requester to stream to, introduces the two, and the signed result completes it here', async () => {
    const server = track(await startTestApp());
    const requester = await requesterTab(server);
    const worker = await servingTab(server);
    const taskId = await submitDirect(server, 'straight to you', requester);
    const assign = await eventually(() => assignsFor(worker, taskId)[0], 5000, 'assignment');
    expect(assign.directStream).toEqual({ to: requester.nodeId });
    expect(assign.attempt).toBe(1);

    // Introduced both ways: the worker offers, the requester answers, each stamped with its sender.
    await signal(worker, requester, offer);
    await signal(requester, worker, answer);

    // The text went over the link: only accepts (lease renewals) and the signed result come here.
    worker.socket.emit('task:accept', { taskId });
    const text = echoText(assign);
    worker.sendResult(taskId, chatOutput(text));
    const done = await succeeded(server, taskId);
    expect(resultText(done)).toBe('echo: straight to you');
    expect(stored(server, taskId)?.result?.nodeId).toBe(worker.nodeId);
    expect(await metric(server, 'tessera_direct_streams_total')).toBe(1);
    expect(await metric(server, 'tessera_tasks_submitted_total{kind="chat"}')).toBe(1);
  });

  it('a task without direct_stream introduces no one', async () => {
    const server = track(await startTestApp());
    const requester = await requesterTab(server);
    const worker = await servingTab(server, answerHonestly);
    const response = await postTask(server, createTaskBody('the usual way'));
    const taskId = taskIdSchema.parse(taskViewSchema.parse(await response.json()).id);
    await succeeded(server, taskId);
    expect(assignsFor(worker, taskId)[0]?.directStream).toBeUndefined();
    expect(
      (
        await refused(worker, 'peer:signal', () =>
          worker.socket.emit('peer:signal', { to: requester.nodeId, sessionId: newPeerSessionId(), data: offer }),
        )
      ).code,
    ).toBe('peer_not_introduced');
    expect(await metric(server, 'tessera_direct_streams_total')).toBe(0);
  });

  it("refuses a wrong key, an unknown or departed tab, or another tab's node id with 400 direct_stream_refused, storing nothing", async () => {
    const server = track(await startTestApp());
    const requester = await requesterTab(server);
    const worker = await servingTab(server);
    const departed = await requesterTab(server);
    const departedStream = directStreamOf(departed);
    departed.close();
    await eventually(() => (server.app.tessera.registry.get(departed.nodeId) === undefined ? true : undefined), 3000, 'requester gone');
    const own = directStreamOf(requester);
    const countsBefore = server.app.tessera.store.counts();

    const refusedRequests: Array<[string, DirectStreamRequest]> = [
      ['wrong key', { node_id: own.node_id, stream_key: 'A'.repeat(own.stream_key.length) }],
      ['a longer key with the right prefix', { node_id: own.node_id, stream_key: `${own.stream_key}AAAA` }],
      ['unknown tab', { node_id: newNodeId(), stream_key: own.stream_key }],
      ['departed tab', departedStream],
      ["another tab's node id", { node_id: worker.nodeId, stream_key: own.stream_key }],
      ["another tab's key", { node_id: own.node_id, stream_key: directStreamOf(worker).stream_key }],
    ];
    for (const [what, directStream] of refusedRequests) {
      const response = await postTask(server, createTaskBody(what, directStream));
      expect(response.status, what).toBe(400);
      const body = openAIErrorBodySchema.parse(await response.json());
      expect(body.error, what).toMatchObject({ code: 'direct_stream_refused', type: 'invalid_request_error', param: 'direct_stream' });
    }
    // Not a key at all: refused by the schema before anyone looks.
    const malformed = await postTask(server, createTaskBody('short key', { node_id: own.node_id, stream_key: 'short' }));
    expect(malformed.status).toBe(400);
    expect(openAIErrorBodySchema.parse(await malformed.json()).error.code).toBe('invalid_request');

    expect(server.app.tessera.store.counts()).toEqual(countsBefore);
    expect(await metric(server, 'tessera_tasks_submitted_total{kind="chat"}')).toBe(0);
    expect(await metric(server, 'tessera_direct_streams_total')).toBe(0);
    await drained(worker);
    expect(worker.received.filter((message) => message.event === 'task:assign' && !isCanary(message.payload))).toEqual([]);
  });

  it('a requester that left before assignment gets no direct stream: the worker streams here as usual', async () => {
    const server = track(await startTestApp());
    const requester = await requesterTab(server);
    const taskId = await submitDirect(server, 'you left', requester, true);
    expect(stored(server, taskId)?.status).toBe('queued');
    requester.close();
    await eventually(() => (server.app.tessera.registry.get(requester.nodeId) === undefined ? true : undefined), 3000, 'requester gone');

    const worker = await servingTab(server);
    const assign = await eventually(() => assignsFor(worker, taskId)[0], 5000, 'assignment');
    expect(assign.directStream).toBeUndefined();
    expect(
      (
        await refused(worker, 'peer:signal', () =>
          worker.socket.emit('peer:signal', { to: requester.nodeId, sessionId: newPeerSessionId(), data: offer }),
        )
      ).code,
    ).toBe('peer_not_introduced');
    answerHonestly(assign, worker);
    expect(resultText(await succeeded(server, taskId))).toBe('echo: you left');
  });

  it('a requester that leaves mid-task does not fail it: the result still completes it', async () => {
    const server = track(await startTestApp());
    const requester = await requesterTab(server);
    const worker = await servingTab(server);
    const taskId = await submitDirect(server, 'left midway', requester);
    const assign = await eventually(() => assignsFor(worker, taskId)[0], 5000, 'assignment');
    expect(assign.directStream).toEqual({ to: requester.nodeId });
    requester.close();
    await eventually(() => (server.app.tessera.registry.get(requester.nodeId) === undefined ? true : undefined), 3000, 'requester gone');
    expect(stored(server, taskId)).toMatchObject({ status: 'assigned', nodeId: worker.nodeId });
    const refusal = await refused(worker, 'peer:signal', () =>
      worker.socket.emit('peer:signal', { to: requester.nodeId, sessionId: newPeerSessionId(), data: offer }),
    );
    expect(['peer_not_introduced', 'peer_unavailable']).toContain(refusal.code);
    // The worker falls back to chunks here.
    answerHonestly(assign, worker);
    expect(resultText(await succeeded(server, taskId))).toBe('echo: left midway');
  });

  // A worker tab that asks for its own task's text directly and is given the task streams to nobody: the
  // text comes to the coordinator as usual (a link to itself could never be introduced).
  it('a task that lands on the tab that asked for it carries no direct stream to itself', async () => {
    const server = track(await startTestApp());
    const worker = await servingTab(server);
    const taskId = await submitDirect(server, 'to myself', worker);
    const assign = await eventually(() => assignsFor(worker, taskId)[0], 5000, 'assignment');
    expect(assign.directStream).toBeUndefined();
  });
});

describe('task:handoff of a direct-stream task', () => {
  it('the new worker is told to stream to the same requester and may signal it', async () => {
    const server = track(await startTestApp());
    const requester = await requesterTab(server);
    const holder = await servingTab(server);
    const taskId = await submitDirect(server, 'moved but direct', requester);
    const assign = await eventually(() => assignsFor(holder, taskId)[0], 5000, 'assignment to the holder');
    expect(assign.directStream).toEqual({ to: requester.nodeId });

    const peer = await servingTab(server);
    const seeders = () => holder.received.flatMap((message) => (message.event === 'peer:seeders' ? [message.payload.seeders] : []));
    holder.socket.emit('peer:seek', { modelId: TINY_GPT2_ID });
    expect(await eventually(() => seeders()[0], 3000, 'peer:seeders')).toContain(peer.nodeId);
    // Before the hand-off the peer has no business with the requester.
    expect(
      (
        await refused(peer, 'peer:signal', () =>
          peer.socket.emit('peer:signal', { to: requester.nodeId, sessionId: newPeerSessionId(), data: offer }),
        )
      ).code,
    ).toBe('peer_not_introduced');

    holder.socket.emit('task:handoff', { taskId, to: peer.nodeId });
    const moved = await eventually(() => assignsFor(peer, taskId)[0], 3000, 'task:assign to the peer');
    expect(moved).toEqual({ taskId, leaseMs: assign.leaseMs, attempt: 1, task: assign.task, directStream: { to: requester.nodeId } });
    await signal(peer, requester, offer);
    await signal(requester, peer, answer);

    peer.socket.emit('task:accept', { taskId });
    peer.sendResult(taskId, chatOutput(echoText(moved)));
    const done = await succeeded(server, taskId);
    expect(resultText(done)).toBe('echo: moved but direct');
    expect(done.attempts).toBe(1);
    expect(stored(server, taskId)?.result?.nodeId).toBe(peer.nodeId);
  });

  it('a worker may not hand its task to the requester it streams to', async () => {
    const server = track(await startTestApp());
    const requester = await requesterTab(server);
    const holder = await servingTab(server);
    const taskId = await submitDirect(server, 'not a worker', requester);
    const assign = await eventually(() => assignsFor(holder, taskId)[0], 5000, 'assignment to the holder');
    const refusal = await refused(holder, 'task:handoff', () => holder.socket.emit('task:handoff', { taskId, to: requester.nodeId }));
    expect(refusal.code).toBe('handoff_refused');
    await drained(requester);
    expect(assignsFor(requester, taskId)).toEqual([]);
    expect(holder.received.some((message) => message.event === 'task:cancel' && message.payload.taskId === taskId)).toBe(false);
    expect(stored(server, taskId)).toMatchObject({ status: 'assigned', nodeId: holder.nodeId, attempts: 1 });
    answerHonestly(assign, holder);
    expect(resultText(await succeeded(server, taskId))).toBe('echo: not a worker');
  });
});
