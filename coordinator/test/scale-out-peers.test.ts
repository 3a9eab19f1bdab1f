import { TINY_GPT2_ID, newPeerSessionId, taskIdSchema, taskViewSchema } from '@tessera/shared';
import type { CoordinatorToWorkerMessage, NodeId, OfferedModel, TaskAssign, TaskId } from '@tessera/shared';
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly, echoText } from './support/honest-answers.ts';
import { ScriptedTab, loaded, type AssignmentHandler } from './support/scripted-tab.ts';
import { servingTab } from './support/serving-tab.ts';
import { testCluster } from './support/test-cluster.ts';
import { eventually, type TestApp } from './support/test-app.ts';
import { chatOutput } from './support/tiny-tokens.ts';

const track = closeAfterEach();
const cluster = testCluster('scale-out-peers.test.ts', track);
const offer = { type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const answer = { type: 'answer' as const, sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' };

/** Takes the task and holds it: the test decides when (and whether) the tab answers. */
const hold: AssignmentHandler = (assign, tab) => tab.socket.emit('task:accept', { taskId: assign.taskId });

function tabOn(server: TestApp, models: OfferedModel[], onAssign: AssignmentHandler = answerHonestly): Promise<ScriptedTab> {
  return servingTab(server, track, { models, onAssign });
}

type Payload<E extends CoordinatorToWorkerMessage['event']> = Extract<CoordinatorToWorkerMessage, { event: E }>['payload'];

function received<E extends CoordinatorToWorkerMessage['event']>(tab: ScriptedTab, event: E): Array<Payload<E>> {
  const found: Array<Payload<E>> = [];
  for (const message of tab.received) if (message.event === event) found.push(message.payload as Payload<E>);
  return found;
}

function assignsFor(tab: ScriptedTab, taskId: TaskId): TaskAssign[] {
  return received(tab, 'task:assign').filter((assign) => assign.taskId === taskId);
}

/** Seeks `modelId` until `peer` is named: another instance's seeders are heard of within a second. */
async function introduce(seeker: ScriptedTab, modelId: string, peer: NodeId): Promise<void> {
  await eventually(
    async () => {
      const before = received(seeker, 'peer:seeders').length;
      seeker.socket.emit('peer:seek', { modelId });
      const answerNow = await eventually(() => received(seeker, 'peer:seeders')[before], 3000, 'peer:seeders');
      return answerNow.seeders.includes(peer) ? true : undefined;
    },
    5000,
    'the seeder on the other instance named',
  );
}

async function signalled(from: ScriptedTab, to: ScriptedTab, data: typeof offer | typeof answer): Promise<void> {
  const sessionId = newPeerSessionId();
  from.socket.emit('peer:signal', { to: to.nodeId, sessionId, data });
  const relayed = await eventually(
    () => received(to, 'peer:signal').find((signal) => signal.sessionId === sessionId),
    3000,
    'signal relayed',
  );
  expect(relayed).toEqual({ to: to.nodeId, from: from.nodeId, sessionId, data });
}

async function submit(server: TestApp, content: string, directStream?: { node_id: NodeId; stream_key: string }): Promise<TaskId> {
  const response = await fetch(`${server.url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'chat.completion',
      request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content }], temperature: 0 },
      ...(directStream === undefined ? {} : { direct_stream: directStream }),
      // Some tests queue before any tab serves.
      wait_for_tab: true,
    }),
  });
  expect(response.status).toBe(202);
  return taskIdSchema.parse(taskViewSchema.parse(await response.json()).id);
}

async function succeeded(server: TestApp, id: TaskId): Promise<ReturnType<typeof taskViewSchema.parse>> {
  return eventually(
    async () => {
      const view = taskViewSchema.parse(await (await fetch(`${server.url}/api/v1/tasks/${id}`)).json());
      return view.status === 'succeeded' ? view : undefined;
    },
    10_000,
    'task succeeded',
  );
}

cluster.describe('peers across instances: seeding, signalling, reports, direct streams, hand-offs', () => {
  it('a tab on B is introduced to a seeder on A, the two signal each other, and strangers are still refused', async () => {
    const [a, b] = await cluster.twoInstances();
    const seeder = await tabOn(a, [loaded(TINY_GPT2_ID)]);
    const seeker = await tabOn(b, []);
    const stranger = await tabOn(b, []);
    await introduce(seeker, TINY_GPT2_ID, seeder.nodeId);
    await signalled(seeker, seeder, offer);
    await signalled(seeder, seeker, answer);

    stranger.socket.emit('peer:signal', { to: seeder.nodeId, sessionId: newPeerSessionId(), data: offer });
    await eventually(
      () => received(stranger, 'protocol:error').find((error) => error.error.code === 'peer_not_introduced'),
      3000,
      'the stranger refused',
    );
    expect(received(seeder, 'peer:signal')).toHaveLength(1);

    // The seeder leaves: its instance says so, and the pair is forgotten on B too.
    seeder.close();
    await eventually(() => (b.app.tessera.peers.introduced(seeker.nodeId, seeder.nodeId) ? undefined : true), 3000, 'pair forgotten on B');
  });

  it('reports from two keys on another instance stop a seeder being introduced anywhere', async () => {
    const [a, b] = await cluster.twoInstances();
    const seeder = await tabOn(a, [loaded(TINY_GPT2_ID)]);
    const reporters = [await tabOn(b, []), await tabOn(b, [])];
    for (const reporter of reporters) {
      await introduce(reporter, TINY_GPT2_ID, seeder.nodeId);
      reporter.socket.emit('peer:report', { about: seeder.nodeId, modelId: TINY_GPT2_ID, reason: 'wrong bytes at 0+4096' });
    }
    await eventually(() => (a.app.tessera.peers.isExcludedSeeder(seeder.nodeId, TINY_GPT2_ID) ? true : undefined), 3000, 'counted on A');
    // Neither instance names it any more, once B heard A's next list.
    const seeker = await tabOn(b, []);
    const local = await tabOn(a, []);
    await eventually(
      async () => {
        const before = received(seeker, 'peer:seeders').length;
        seeker.socket.emit('peer:seek', { modelId: TINY_GPT2_ID });
        const seeders = await eventually(() => received(seeker, 'peer:seeders')[before], 3000, 'peer:seeders');
        return seeders.seeders.includes(seeder.nodeId) ? undefined : true;
      },
      5000,
      'not named on B',
    );
    local.socket.emit('peer:seek', { modelId: TINY_GPT2_ID });
    const onA = await eventually(() => received(local, 'peer:seeders')[0], 3000, 'peer:seeders on A');
    expect(onA.seeders).not.toContain(seeder.nodeId);
  });

  it('a task asked with direct_stream on A, served by a tab on B, introduces the two across instances', async () => {
    const [a, b] = await cluster.twoInstances();
    const requester = track(new ScriptedTab({ url: a.url, role: 'requester', models: [] }));
    const welcome = await requester.ready();
    const worker = await tabOn(b, [loaded(TINY_GPT2_ID)], hold);
    const id = await submit(a, 'straight across', { node_id: welcome.nodeId, stream_key: welcome.directStreamKey });
    const assign = await eventually(() => assignsFor(worker, id)[0], 5000, 'assignment on B');
    expect(assign.directStream).toEqual({ to: requester.nodeId });
    await signalled(worker, requester, offer);
    await signalled(requester, worker, answer);
    worker.sendResult(id, chatOutput(echoText(assign)));
    expect((await succeeded(a, id)).result).toMatchObject({ choices: [{ message: { content: 'echo: straight across' } }] });
  });

  it("a tab on A hands its task to an introduced peer on B; the caller on A gets the peer's answer, and the holder's late one counts for nothing", async () => {
    const [a, b] = await cluster.twoInstances();
    const holder = await tabOn(a, [loaded(TINY_GPT2_ID)], hold);
    const id = await submit(a, 'hand me across');
    await eventually(() => assignsFor(holder, id)[0], 5000, 'assignment to the holder');
    const peer = await tabOn(b, [loaded(TINY_GPT2_ID)], hold);
    await introduce(holder, TINY_GPT2_ID, peer.nodeId);

    holder.socket.emit('task:handoff', { taskId: id, to: peer.nodeId });
    const moved = await eventually(() => assignsFor(peer, id)[0], 3000, 'task:assign to the peer on B');
    expect(moved.attempt).toBe(1);
    await eventually(() => received(holder, 'task:cancel').find((cancel) => cancel.taskId === id), 3000, 'task:cancel to the holder');
    expect(a.app.tessera.store.get(id)).toMatchObject({ status: 'assigned', nodeId: peer.nodeId, attempts: 1 });

    answerHonestly(moved, peer);
    const done = await succeeded(a, id);
    expect(done.attempts).toBe(1);
    expect(a.app.tessera.store.get(id)?.result?.nodeId).toBe(peer.nodeId);
    // The holder's late answer counts for nothing.
    holder.sendResult(id, chatOutput('stale'));
    await eventually(
      () => received(holder, 'protocol:error').find((error) => error.error.code === 'not_assigned'),
      3000,
      'late answer refused',
    );
  });

  it('a tab on A that offers its task to a peer on B and closes at once still hands it over', async () => {
    const [a, b] = await cluster.twoInstances();
    const holder = await tabOn(a, [loaded(TINY_GPT2_ID)], hold);
    const id = await submit(a, 'handed while leaving');
    await eventually(() => assignsFor(holder, id)[0], 5000, 'assignment to the holder');
    const peer = await tabOn(b, [loaded(TINY_GPT2_ID)], answerHonestly);
    await introduce(holder, TINY_GPT2_ID, peer.nodeId);
    // The offer and the disconnect reach A one after the other: B's answer comes after the tab left.
    holder.socket.emit('task:handoff', { taskId: id, to: peer.nodeId });
    holder.close();
    const done = await succeeded(a, id);
    expect(done.attempts).toBe(1);
    expect(a.app.tessera.store.get(id)?.result?.nodeId).toBe(peer.nodeId);
  });

  it('a hand-off the busy peer on B may not take is refused by B, and the task stays with its holder', async () => {
    const [a, b] = await cluster.twoInstances();
    const holder = await tabOn(a, [loaded(TINY_GPT2_ID)], hold);
    const id = await submit(a, 'stay with me');
    const assign = await eventually(() => assignsFor(holder, id)[0], 5000, 'assignment to the holder');
    const stranger = await tabOn(b, []);
    // The peer on B is busy with a task of its own: it has no free slot.
    const busyPeer = await tabOn(b, [loaded(TINY_GPT2_ID)], hold);
    const other = await submit(b, 'keep me busy');
    await eventually(() => assignsFor(busyPeer, other)[0], 5000, 'the peer busy');
    await introduce(holder, TINY_GPT2_ID, busyPeer.nodeId);

    holder.socket.emit('task:handoff', { taskId: id, to: busyPeer.nodeId });
    const refusal = await eventually(
      () => received(holder, 'protocol:error').find((error) => error.event === 'task:handoff'),
      3000,
      'hand-off refused',
    );
    expect(refusal.error.code).toBe('handoff_refused');
    expect(refusal.error.message).toContain(`tab ${busyPeer.nodeId} has no free slot`);
    // A tab not introduced at all is refused here, before anyone is asked.
    holder.socket.emit('task:handoff', { taskId: id, to: stranger.nodeId });
    await eventually(
      () => (received(holder, 'protocol:error').filter((error) => error.event === 'task:handoff').length === 2 ? true : undefined),
      3000,
      'second refusal',
    );
    expect(a.app.tessera.store.get(id)).toMatchObject({ status: 'assigned', nodeId: holder.nodeId, attempts: 1 });
    expect(received(holder, 'task:cancel')).toEqual([]);
    answerHonestly(assign, holder);
    expect((await succeeded(a, id)).attempts).toBe(1);
  });

  it('a task the store says is B’s but B does not hold (its hand-over was lost) goes back to the queue and is served', async () => {
    const [a, b] = await cluster.twoInstances({ queueTimeoutMs: 60_000 });
    const id = await submit(a, 'lost in transit');
    // Nobody serves the model yet: the task waits in the shared queue, owned by no instance.
    await eventually(
      async () =>
        (await cluster.query(`SELECT owner FROM {schema}.tasks WHERE id = $1`, [id])).rows[0]?.owner === null ? true : undefined,
      3000,
      'in the shared queue',
    );
    // As if A had handed it to a tab on B and died before saying so: B owns it, and holds nothing of it.
    const instanceOfB = b.app.tessera.cluster?.instanceId;
    await cluster.query(`UPDATE {schema}.tasks SET owner = $2, status = 'assigned', attempts = 1, node_id = $3 WHERE id = $1`, [
      id,
      instanceOfB,
      randomUUID(),
    ]);
    await tabOn(b, [loaded(TINY_GPT2_ID)]);
    const done = await succeeded(a, id);
    expect(done.result).toMatchObject({ choices: [{ message: { content: 'echo: lost in transit' } }] });
    expect(done.attempts).toBe(2);
  });
});
