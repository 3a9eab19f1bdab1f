import { TINY_GPT2_ID, taskViewSchema } from '@tessera/shared';
import type { VerifyAssign } from '@tessera/shared';
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { ScaleOut } from '../src/scale-out/scale-out.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly } from './support/honest-answers.ts';
import { guardHonestly } from './support/scripted-guard.ts';
import { chatOutput } from './support/tiny-tokens.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { streamedText } from './support/task-observations.ts';
import { eventually, type TestApp } from './support/test-app.ts';
import { servingTab as servingTabOf } from './support/serving-tab.ts';
import { testCluster } from './support/test-cluster.ts';

const track = closeAfterEach();
const cluster = testCluster('scale-out.test.ts', track);
const { twoInstances } = cluster;

function scaleOutOf(server: TestApp): ScaleOut {
  const { scaleOut } = server.app.tessera;
  if (scaleOut === undefined) throw new Error('the app runs alone');
  return scaleOut;
}

function servingTab(server: TestApp): Promise<ScriptedTab> {
  return servingTabOf(server, track);
}

function chat(content: string, stream = false): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content }], temperature: 0, stream }),
  };
}

cluster.describe('two instances on one PostgreSQL and one Redis', () => {
  it('a task accepted by A is served by a tab on B, and its answer and stream reach the caller on A', async () => {
    const [a, b] = await twoInstances();
    await servingTab(b);
    const plain = await fetch(`${a.url}/v1/chat/completions`, chat('across instances'));
    expect(plain.status).toBe(200);
    expect((await plain.json()).choices[0].message.content).toBe('echo: across instances');
    const streamed = await fetch(`${a.url}/v1/chat/completions`, chat('streamed across', true));
    expect(streamedText(await streamed.text())).toBe('echo: streamed across');
    // Any instance answers for any task.
    const id = streamed.headers.get('x-tessera-task-id');
    const view = taskViewSchema.parse(await (await fetch(`${b.url}/api/v1/tasks/${id}`)).json());
    expect(view.status).toBe('succeeded');
  });

  it('fails fast only when no instance has a tab for the model, and counts the tabs of all instances', async () => {
    const [a, b] = await twoInstances();
    // Past the start-up grace (an instance that has not heard the others yet refuses nothing).
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const nobody = await fetch(`${a.url}/v1/chat/completions`, chat('anyone anywhere?'));
    expect(nobody.status).toBe(503);
    expect(nobody.headers.get('retry-after')).toBe('2');
    await servingTab(b);
    // A hears within a second that B's tab serves it.
    const served = await eventually(
      async () => {
        const response = await fetch(`${a.url}/v1/chat/completions`, chat('someone on B'));
        return response.status === 200 ? response : undefined;
      },
      3000,
      'served through A',
    );
    expect((await served.json()).choices[0].message.content).toBe('echo: someone on B');
    // And A's model list counts B's tab.
    const models = (await (await fetch(`${a.url}/v1/models`)).json()) as { data: Array<{ id: string; online_workers: number }> };
    expect(models.data.find((model) => model.id === TINY_GPT2_ID)?.online_workers).toBe(1);
  });

  it('exactly one instance leads', async () => {
    const [a, b] = await twoInstances();
    await eventually(() => (scaleOutOf(a).isLeader() || scaleOutOf(b).isLeader() ? true : undefined), 3000, 'a leader');
    expect([scaleOutOf(a).isLeader(), scaleOutOf(b).isLeader()].filter(Boolean)).toHaveLength(1);
  });

  it('a task waiting in the shared queue can be cancelled from either instance, and is then never served', async () => {
    const [a, b] = await twoInstances();
    const created = await fetch(`${a.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'chat.completion',
        request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'never mind' }] },
        wait_for_tab: true,
      }),
    });
    const task = (await created.json()) as { id: string; cancel_token: string };
    const cancelled = await fetch(`${b.url}/api/v1/tasks/${task.id}`, {
      method: 'DELETE',
      headers: { 'x-tessera-cancel-token': task.cancel_token },
    });
    expect(cancelled.status).toBe(200);
    const served: string[] = [];
    const tab = track(
      new ScriptedTab({
        url: b.url,
        models: [loaded(TINY_GPT2_ID)],
        onAssign: (assign, scripted) => {
          served.push(assign.taskId);
          answerHonestly(assign, scripted);
        },
      }),
    );
    await tab.ready();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(served.filter((id) => id === task.id)).toEqual([]);
    expect(taskViewSchema.parse(await (await fetch(`${a.url}/api/v1/tasks/${task.id}`)).json()).status).toBe('cancelled');
  });

  it("the leader takes over a dead instance's tasks: queued and running ones are served by a live tab", async () => {
    const [a, b] = await twoInstances({ queueTimeoutMs: 60_000 });
    const created = await fetch(`${a.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'chat.completion',
        request: { model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'orphan' }] },
        wait_for_tab: true,
      }),
    });
    const { id } = (await created.json()) as { id: string };
    // As if an instance that died had taken it and handed it to one of its tabs.
    await cluster.query(
      `UPDATE {schema}.tasks SET owner = 'dead-instance', status = 'assigned', attempts = 1, node_id = $2 WHERE id = $1`,
      [id, randomUUID()],
    );
    await cluster.query(`INSERT INTO {schema}.instances (id, started_at, last_seen_at) VALUES ('dead-instance', 0, 0)`);
    await servingTab(b);
    const done = await eventually(
      async () => {
        const view = taskViewSchema.parse(await (await fetch(`${a.url}/api/v1/tasks/${id}`)).json());
        return view.status === 'succeeded' ? view : undefined;
      },
      10_000,
      'the orphaned task served',
    );
    expect(done.attempts).toBe(2);
    const left = await cluster.query(`SELECT count(*)::int AS n FROM {schema}.instances WHERE id = 'dead-instance'`);
    expect(left.rows[0].n).toBe(0);
  });

  it("a result no guard of its own instance may check is checked by another instance's guard, and a lie is caught there", async () => {
    const [a, b] = await twoInstances();
    const checks: VerifyAssign[] = [];
    const guard = track(
      new ScriptedTab({
        url: b.url,
        role: 'guard',
        models: [loaded(TINY_GPT2_ID)],
        maxConcurrentTasks: 4,
        onVerify: (assign, tab) => {
          checks.push(assign);
          guardHonestly(assign, tab);
        },
      }),
    );
    await guard.ready();
    await servingTab(a);
    // A hears of B's guard within a second or two.
    await eventually(
      async () => {
        const answer = await fetch(`${a.url}/v1/chat/completions`, chat(`checked across ${checks.length}`));
        return (await answer.json()).tessera.verification === 'passed' ? true : undefined;
      },
      10_000,
      'a result checked by the guard on B',
    );
    expect(checks.length).toBeGreaterThan(0);

    const liar = track(
      new ScriptedTab({
        url: a.url,
        models: [loaded(TINY_GPT2_ID)],
        onAssign: (assign, tab) => tab.sendResult(assign.taskId, chatOutput(' is a malicious network that steals your data.')),
      }),
    );
    await liar.ready();
    await eventually(
      () => (a.app.tessera.registry.get(liar.nodeId)?.models.has(TINY_GPT2_ID) === true ? true : undefined),
      3000,
      'liar serving',
    );
    // Both tabs on A busy at once: the liar gets some; every answer the callers get is the honest one.
    const answers = await Promise.all(
      Array.from(
        { length: 6 },
        async (_, i) => (await (await fetch(`${a.url}/v1/chat/completions`, chat(`question ${i}`))).json()).choices[0].message.content,
      ),
    );
    expect(answers).toEqual(Array.from({ length: 6 }, (_, i) => `echo: question ${i}`));
    // Caught by B's guard: the verdict was written to the shared database, where A reads it.
    await eventually(
      () => (a.app.tessera.reputation.get(liar.identity.publicKey).invalidChecks > 0 ? true : undefined),
      5000,
      'the liar caught',
    );
  });
});
