import { TINY_BERT_ID, TINY_GPT2_ID, newNodeId, newTaskId, taskIdSchema, taskViewSchema } from '@tessera/shared';
import type { OfferedModel, TaskAssign, TaskView } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { chatOutput } from './support/tiny-tokens.ts';
import type { TaskRecord } from '../src/tasks/task-record.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { assignsFor, cancelsFor, getTask, metric, resultText, streamedText } from './support/task-observations.ts';
import { drained, refused, refusals } from './support/socket-refusals.ts';
import { answerHonestly, echoText } from './support/honest-answers.ts';
import { guardHonestly } from './support/scripted-guard.ts';
import { ScriptedTab, loaded, type AssignmentHandler } from './support/scripted-tab.ts';
import { servingTab as servingTabOf } from './support/serving-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const track = closeAfterEach();

const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: TINY_GPT2_ID,
  messages: [{ role: 'user', content }],
  temperature: 0,
  ...extra,
});

/** Takes the task and holds it: the test decides when (and whether) the tab answers. */
const accept: AssignmentHandler = (assign, tab) => tab.socket.emit('task:accept', { taskId: assign.taskId });

async function submitTask(server: TestApp, content: string): Promise<TaskView> {
  const response = await fetch(`${server.url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'chat.completion', request: chat(content) }),
  });
  expect(response.status).toBe(202);
  return taskViewSchema.parse(await response.json());
}

function stored(server: TestApp, id: string): TaskRecord | undefined {
  return server.app.tessera.store.get(taskIdSchema.parse(id));
}

async function finished(server: TestApp, id: string): Promise<TaskView> {
  return eventually(
    async () => {
      const task = await getTask(server, id);
      return task.status === 'succeeded' || task.status === 'failed' ? task : undefined;
    },
    5000,
    `task ${id} to finish`,
  );
}

function servingTab(
  server: TestApp,
  models?: readonly OfferedModel[],
  onAssign: AssignmentHandler = accept,
  maxConcurrentTasks = 1,
): Promise<ScriptedTab> {
  return servingTabOf(server, track, { models, onAssign, maxConcurrentTasks });
}

/** `peer:seek` from `seeker`: the coordinator introduces it to the tabs offering the model, `peer` among them. */
async function introduce(seeker: ScriptedTab, modelId: string, peer: ScriptedTab): Promise<void> {
  const answers = () =>
    seeker.received.flatMap((message) =>
      message.event === 'peer:seeders' && message.payload.modelId === modelId ? [message.payload.seeders] : [],
    );
  const before = answers().length;
  seeker.socket.emit('peer:seek', { modelId });
  const seeders = await eventually(() => answers()[before], 3000, 'peer:seeders');
  expect(seeders).toContain(peer.nodeId);
}

/** A coordinator with one tab holding one accepted task (attempt 1). */
async function withHeldTask(content = 'hand me over'): Promise<{ server: TestApp; holder: ScriptedTab; assign: TaskAssign }> {
  const server = track(await startTestApp());
  const holder = await servingTab(server);
  const view = await submitTask(server, content);
  const assign = await eventually(() => assignsFor(holder, taskIdSchema.parse(view.id))[0], 5000, 'assignment to the holder');
  expect(assign.attempt).toBe(1);
  return { server, holder, assign };
}

/**
 * After a refused hand-off: the task is still the holder's (store, no `task:cancel`), the other tab got
 * nothing, and the holder can still finish it.
 */
async function expectStillWithHolder(
  server: TestApp,
  assign: TaskAssign,
  holder: ScriptedTab,
  other: ScriptedTab | undefined,
): Promise<void> {
  await drained(holder);
  if (other !== undefined) {
    await drained(other);
    expect(assignsFor(other, assign.taskId)).toEqual([]);
  }
  expect(stored(server, assign.taskId)).toMatchObject({ status: 'assigned', nodeId: holder.nodeId, attempts: 1 });
  expect(cancelsFor(holder, assign.taskId)).toEqual([]);
  answerHonestly(assign, holder);
  const done = await finished(server, assign.taskId);
  expect(done.status).toBe('succeeded');
  expect(done.attempts).toBe(1);
  expect(resultText(done)).toBe(echoText(assign));
  expect(stored(server, assign.taskId)?.result?.nodeId).toBe(holder.nodeId);
  expect(await metric(server, 'tessera_tasks_handed_off_total')).toBe(0);
}

describe('task:handoff moves a held task to an introduced, idle peer', () => {
  it("the peer gets the same attempt, the sender is cancelled and refused afterwards, and the caller gets the peer's result", async () => {
    const { server, holder, assign } = await withHeldTask();
    const peer = await servingTab(server);
    // Connecting the peer gave it nothing: the only task is held.
    await drained(peer);
    expect(assignsFor(peer, assign.taskId)).toEqual([]);
    await introduce(holder, TINY_GPT2_ID, peer);

    holder.socket.emit('task:handoff', { taskId: assign.taskId, to: peer.nodeId });
    const moved = await eventually(() => assignsFor(peer, assign.taskId)[0], 3000, 'task:assign to the peer');
    // Same attempt (a hand-off is not a failure), same task, and no direct stream was asked for.
    expect(moved).toEqual({ taskId: assign.taskId, leaseMs: assign.leaseMs, attempt: 1, task: assign.task });
    const cancel = await eventually(() => cancelsFor(holder, assign.taskId)[0], 3000, 'task:cancel to the sender');
    expect(cancel).toContain(peer.nodeId);
    expect(refusals(holder, 'task:handoff')).toEqual([]);
    expect(stored(server, assign.taskId)).toMatchObject({ status: 'assigned', nodeId: peer.nodeId, attempts: 1 });
    expect(await getTask(server, assign.taskId)).toMatchObject({ status: 'assigned', attempts: 1 });
    expect(server.app.tessera.registry.get(holder.nodeId)?.activeTasks.has(assign.taskId)).toBe(false);
    expect(server.app.tessera.registry.get(peer.nodeId)?.activeTasks.has(assign.taskId)).toBe(true);

    // The sender's late answer does not count, while the peer runs it or after.
    const stale = chatOutput('stale text from the sender');
    const late = await refused(holder, 'task:result', () => holder.sendResult(assign.taskId, stale));
    expect(late.code).toBe('not_assigned');
    expect(stored(server, assign.taskId)).toMatchObject({ status: 'assigned', nodeId: peer.nodeId, result: null });

    answerHonestly(moved, peer);
    const done = await finished(server, assign.taskId);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(1);
    expect(resultText(done)).toBe('echo: hand me over');
    expect(stored(server, assign.taskId)?.result?.nodeId).toBe(peer.nodeId);

    expect((await refused(holder, 'task:result', () => holder.sendResult(assign.taskId, stale))).code).toBe('not_assigned');
    expect(resultText(await getTask(server, assign.taskId))).toBe('echo: hand me over');
    expect(await metric(server, 'tessera_tasks_handed_off_total')).toBe(1);
    expect(await metric(server, 'tessera_tasks_requeued_total{reason="worker_disconnected"}')).toBe(0);
  });

  it("a streaming caller sees the text once: the sender's chunks are not repeated by the peer, and its late chunks are refused", async () => {
    const server = track(await startTestApp());
    const holder = await servingTab(server, [loaded(TINY_GPT2_ID)], (assign, tab) => {
      tab.socket.emit('task:accept', { taskId: assign.taskId });
      tab.socket.emit('task:chunk', { taskId: assign.taskId, seq: 0, delta: 'echo: ' });
    });
    const responsePromise = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('stream across', { stream: true })),
    });
    const assign = await eventually(
      () =>
        holder.received.flatMap((message) =>
          message.event === 'task:assign' &&
          message.payload.task.kind === 'chat' &&
          message.payload.task.messages[0]?.content === 'stream across'
            ? [message.payload]
            : [],
        )[0],
      5000,
      'assignment to the holder',
    );
    const peer = await servingTab(server);
    await introduce(holder, TINY_GPT2_ID, peer);
    holder.socket.emit('task:handoff', { taskId: assign.taskId, to: peer.nodeId });
    const moved = await eventually(() => assignsFor(peer, assign.taskId)[0], 3000, 'task:assign to the peer');
    expect(
      (await refused(holder, 'task:chunk', () => holder.socket.emit('task:chunk', { taskId: assign.taskId, seq: 1, delta: 'garbage ' })))
        .code,
    ).toBe('not_assigned');
    answerHonestly(moved, peer);
    const text = await (await responsePromise).text();
    const deltas = streamedText(text);
    expect(deltas).toBe('echo: stream across');
  });

  it('a peer that leaves after taking the task puts it back in the queue, and it completes elsewhere', async () => {
    const { server, holder, assign } = await withHeldTask('nothing lost');
    const peer = await servingTab(server);
    await introduce(holder, TINY_GPT2_ID, peer);
    holder.socket.emit('task:handoff', { taskId: assign.taskId, to: peer.nodeId });
    await eventually(() => assignsFor(peer, assign.taskId)[0], 3000, 'task:assign to the peer');
    await eventually(() => cancelsFor(holder, assign.taskId)[0], 3000, 'task:cancel to the sender');

    // The sender was leaving: its going no longer touches the task.
    holder.close();
    await eventually(() => (server.app.tessera.registry.get(holder.nodeId) === undefined ? true : undefined), 3000, 'sender gone');
    expect(stored(server, assign.taskId)).toMatchObject({ status: 'assigned', nodeId: peer.nodeId, attempts: 1 });

    peer.close();
    await eventually(() => (stored(server, assign.taskId)?.status === 'queued' ? true : undefined), 3000, 'task requeued');
    expect(stored(server, assign.taskId)).toMatchObject({ nodeId: null, attempts: 1 });

    const rescuer = await servingTab(server, [loaded(TINY_GPT2_ID)], answerHonestly);
    const done = await finished(server, assign.taskId);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(resultText(done)).toBe('echo: nothing lost');
    expect(stored(server, assign.taskId)?.result?.nodeId).toBe(rescuer.nodeId);
    expect(await metric(server, 'tessera_tasks_handed_off_total')).toBe(1);
    expect(await metric(server, 'tessera_tasks_requeued_total{reason="worker_disconnected"}')).toBe(1);
  });
});

describe('a refused task:handoff changes nothing: the task stays with the sender', () => {
  it('refuses a peer the sender was never introduced to', async () => {
    const { server, holder, assign } = await withHeldTask();
    const stranger = await servingTab(server);
    const refusal = await refused(holder, 'task:handoff', () =>
      holder.socket.emit('task:handoff', { taskId: assign.taskId, to: stranger.nodeId }),
    );
    expect(refusal).toMatchObject({ code: 'handoff_refused', retryable: true });
    expect(refusal.message).toContain('not one of its introduced peers');
    await expectStillWithHolder(server, assign, holder, stranger);
  });

  it('refuses an unknown tab, the sender itself, and a peer that left', async () => {
    const { server, holder, assign } = await withHeldTask();
    expect(
      (await refused(holder, 'task:handoff', () => holder.socket.emit('task:handoff', { taskId: assign.taskId, to: newNodeId() }))).code,
    ).toBe('handoff_refused');
    expect(
      (await refused(holder, 'task:handoff', () => holder.socket.emit('task:handoff', { taskId: assign.taskId, to: holder.nodeId }))).code,
    ).toBe('handoff_refused');
    const leaver = await servingTab(server);
    await introduce(holder, TINY_GPT2_ID, leaver);
    leaver.close();
    await eventually(() => (server.app.tessera.registry.get(leaver.nodeId) === undefined ? true : undefined), 3000, 'peer gone');
    expect(
      (await refused(holder, 'task:handoff', () => holder.socket.emit('task:handoff', { taskId: assign.taskId, to: leaver.nodeId }))).code,
    ).toBe('handoff_refused');
    await expectStillWithHolder(server, assign, holder, undefined);
  });

  it('refuses a peer with no free slot', async () => {
    const { server, holder, assign } = await withHeldTask();
    const busy = await servingTab(server);
    const other = await submitTask(server, 'keeps the peer busy');
    const busyWith = await eventually(() => assignsFor(busy, taskIdSchema.parse(other.id))[0], 5000, 'assignment to the peer');
    await introduce(holder, TINY_GPT2_ID, busy);
    const refusal = await refused(holder, 'task:handoff', () =>
      holder.socket.emit('task:handoff', { taskId: assign.taskId, to: busy.nodeId }),
    );
    expect(refusal.code).toBe('handoff_refused');
    expect(refusal.message).toContain('no free slot');
    await expectStillWithHolder(server, assign, holder, busy);
    expect(stored(server, busyWith.taskId)).toMatchObject({ status: 'assigned', nodeId: busy.nodeId });
  });

  it("refuses a peer that does not serve the task's model", async () => {
    const { server, holder, assign } = await withHeldTask();
    const embedder = await servingTab(server, [loaded(TINY_BERT_ID)]);
    await introduce(holder, TINY_BERT_ID, embedder);
    const refusal = await refused(holder, 'task:handoff', () =>
      holder.socket.emit('task:handoff', { taskId: assign.taskId, to: embedder.nodeId }),
    );
    expect(refusal.code).toBe('handoff_refused');
    expect(refusal.message).toContain(`does not serve ${TINY_GPT2_ID}`);
    await expectStillWithHolder(server, assign, holder, embedder);
  });

  it('refuses a guard, even one that has the model loaded', async () => {
    const { server, holder, assign } = await withHeldTask();
    const guard = track(new ScriptedTab({ url: server.url, role: 'guard', models: [loaded(TINY_GPT2_ID)], onVerify: guardHonestly }));
    await guard.ready();
    await eventually(
      () => (server.app.tessera.registry.get(guard.nodeId)?.models.has(TINY_GPT2_ID) === true ? true : undefined),
      3000,
      'guard indexed',
    );
    await introduce(holder, TINY_GPT2_ID, guard);
    const refusal = await refused(holder, 'task:handoff', () =>
      holder.socket.emit('task:handoff', { taskId: assign.taskId, to: guard.nodeId }),
    );
    expect(refusal.code).toBe('handoff_refused');
    expect(refusal.message).toContain(`does not serve ${TINY_GPT2_ID}`);
    await expectStillWithHolder(server, assign, holder, guard);
  });

  it('refuses a peer that already failed the task', async () => {
    const server = track(await startTestApp());
    const failer = await servingTab(server, [loaded(TINY_GPT2_ID)], (next, tab) => {
      if (assignsFor(tab, next.taskId).length === 1)
        tab.socket.emit('task:error', { taskId: next.taskId, code: 'inference_failed', message: 'out of memory', retryable: true });
    });
    const view = await submitTask(server, 'failed once');
    const taskId = taskIdSchema.parse(view.id);
    await eventually(() => (stored(server, taskId)?.status === 'queued' ? true : undefined), 3000, 'task requeued after the failure');
    const holder = await servingTab(server);
    const assign = await eventually(() => assignsFor(holder, taskId)[0], 5000, 'assignment to the holder');
    expect(assign.attempt).toBe(2);
    await introduce(holder, TINY_GPT2_ID, failer);
    const refusal = await refused(holder, 'task:handoff', () => holder.socket.emit('task:handoff', { taskId, to: failer.nodeId }));
    expect(refusal.code).toBe('handoff_refused');
    expect(refusal.message).toContain('already failed');
    await drained(failer);
    expect(assignsFor(failer, taskId)).toHaveLength(1);
    expect(stored(server, taskId)).toMatchObject({ status: 'assigned', nodeId: holder.nodeId, attempts: 2 });
    expect(cancelsFor(holder, taskId)).toEqual([]);
  });

  it('refuses a sender that does not hold the task (not_assigned)', async () => {
    const { server, holder, assign } = await withHeldTask();
    const peer = await servingTab(server);
    await introduce(peer, TINY_GPT2_ID, holder);
    // The introduced peer tries to take the holder's task by "handing" it to the holder, or to itself.
    expect(
      (await refused(peer, 'task:handoff', () => peer.socket.emit('task:handoff', { taskId: assign.taskId, to: holder.nodeId }))).code,
    ).toBe('not_assigned');
    expect(
      (await refused(peer, 'task:handoff', () => peer.socket.emit('task:handoff', { taskId: assign.taskId, to: peer.nodeId }))).code,
    ).toBe('not_assigned');
    expect(
      (await refused(holder, 'task:handoff', () => holder.socket.emit('task:handoff', { taskId: newTaskId(), to: peer.nodeId }))).code,
    ).toBe('not_assigned');
    await expectStillWithHolder(server, assign, holder, peer);
  });

  it('refuses a malformed task:handoff (protocol_violation)', async () => {
    const { server, holder, assign } = await withHeldTask();
    const peer = await servingTab(server);
    await introduce(holder, TINY_GPT2_ID, peer);
    // Deliberately off-schema; a JSON round trip drops the static type.
    const malformed: unknown[] = [
      { taskId: assign.taskId },
      { taskId: assign.taskId, to: 'not-a-node-id' },
      { taskId: 'not-a-task-id', to: peer.nodeId },
      { taskId: assign.taskId, to: peer.nodeId, attempt: 2 },
      'hand it over',
    ];
    for (const payload of malformed) {
      const refusal = await refused(holder, 'task:handoff', () => holder.socket.emit('task:handoff', JSON.parse(JSON.stringify(payload))));
      expect(refusal.code).toBe('protocol_violation');
    }
    await expectStillWithHolder(server, assign, holder, peer);
  });
});
