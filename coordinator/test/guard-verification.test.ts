import { TINY_BERT_ID, TINY_GPT2_ID, networkSnapshotSchema, taskViewSchema } from '@tessera/shared';
import type { NetworkNode, TaskAssign, VerifyAssign } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { chatOutput } from './support/tiny-tokens.ts';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly, echoText } from './support/honest-answers.ts';
import { echoEvidence, guardHonestly } from './support/scripted-guard.ts';
import { ScriptedTab, isCanary, loaded, newIdentity } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const track = closeAfterEach();

async function chat(server: TestApp, content: string): Promise<{ text: string; taskId: string }> {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content }], temperature: 0 }),
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(JSON.stringify(body));
  return { text: body.choices[0].message.content, taskId: response.headers.get('x-tessera-task-id') ?? '' };
}

async function node(server: TestApp, tab: ScriptedTab): Promise<NetworkNode> {
  const snapshot = networkSnapshotSchema.parse(await (await fetch(`${server.url}/api/v1/network`)).json());
  const found = snapshot.nodes.find((candidate) => candidate.nodeId === tab.nodeId);
  if (!found) throw new Error('node not in snapshot');
  return found;
}

/** Answers every task with the wrong text, properly signed: a cheater, not a broken client. */
function lie(assign: TaskAssign, tab: ScriptedTab): void {
  // Consistent with itself (its tokens decode to its text), so only a guard's re-scoring can catch it.
  tab.sendResult(assign.taskId, chatOutput('buy my token'));
}

const guard = (url: string, onVerify = guardHonestly, identity = newIdentity()) =>
  track(
    new ScriptedTab({
      url,
      role: 'guard',
      models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)],
      maxConcurrentTasks: 4,
      identity,
      onVerify,
    }),
  );

describe('guards check results before they are delivered', () => {
  it('a confirmed result is delivered and counted; the guard is never told whose work it checks', async () => {
    const server = track(await startTestApp());
    const checks: VerifyAssign[] = [];
    const g = guard(server.url, (assign, tab) => {
      checks.push(assign);
      guardHonestly(assign, tab);
    });
    await g.ready();
    const worker = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await worker.ready();
    const { text, taskId } = await chat(server, 'checked');
    expect(text).toBe('echo: checked');
    expect(Object.keys(checks[0] ?? {}).sort()).toEqual(['claim', 'jobId', 'leaseMs', 'task']);
    const task = server.app.tessera.store.get(taskViewSchema.shape.id.parse(taskId) as never);
    expect(task?.result?.check).toBe('passed');
    const view = await node(server, worker);
    expect(view.reputation).toMatchObject({ tier: 'probation', validChecks: 1, invalidChecks: 0 });
    expect((await node(server, g)).verdicts.valid).toBe(1);
  });

  it('a cheater is caught, its task re-run on an honest tab, and after three catches it gets no work', async () => {
    const server = track(await startTestApp());
    await guard(server.url).ready();
    const cheater = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: lie }));
    await cheater.ready();
    const cheats: string[] = [];
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const pending = chat(server, `question ${i}`);
      await eventually(
        () => (cheater.received.filter((m) => m.event === 'task:assign').length > i + 1 ? true : undefined),
        3000,
        'the cheater got the task',
      );
      cheats.push(`question ${i}`);
      const honest = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
      await honest.ready();
      answers.push((await pending).text);
      honest.close();
    }
    expect(answers).toEqual(cheats.map((question) => `echo: ${question}`));
    const view = await node(server, cheater);
    expect(view.reputation).toMatchObject({ tier: 'banned', invalidChecks: 3 });
    const snapshot = networkSnapshotSchema.parse(await (await fetch(`${server.url}/api/v1/network`)).json());
    expect(snapshot.verification.caught).toBe(3);

    // Banned: a new request waits for someone else even though the cheater is idle.
    const assignsBefore = cheater.received.filter((m) => m.event === 'task:assign').length;
    const pending = chat(server, 'after the ban');
    const honest = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await honest.ready();
    expect((await pending).text).toBe('echo: after the ban');
    expect(cheater.received.filter((m) => m.event === 'task:assign').length).toBe(assignsBefore);
  });

  it('a reputation follows the key across reconnects', async () => {
    const server = track(await startTestApp());
    await guard(server.url).ready();
    const identity = newIdentity();
    const first = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], identity, onAssign: lie }));
    await first.ready();
    const pending = chat(server, 'once');
    await eventually(() => (first.received.filter((m) => m.event === 'task:assign').length > 1 ? true : undefined), 3000, 'assignment');
    const honest = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await honest.ready();
    await pending;
    first.close();
    const again = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], identity, onAssign: answerHonestly }));
    await again.ready();
    expect((await node(server, again)).reputation).toMatchObject({ tier: 'demoted', invalidChecks: 1 });
  });

  it('when guards disagree the majority decides, and the guard that was outvoted loses reputation', async () => {
    const server = track(await startTestApp());
    const slanderer = guard(server.url, (assign, tab) => {
      // Claims the honest answer is wrong, with evidence made up to match.
      const evidence = echoEvidence(assign.task, {
        kind: 'chat',
        text: 'x',
        finishReason: 'stop',
        tokenIds: assign.claim.kind === 'chat' ? assign.claim.tokenIds : [],
      });
      tab.sendVerdict(
        assign.jobId,
        'invalid',
        evidence.kind === 'chat' ? { ...evidence, decodedText: assign.claim.kind === 'chat' ? assign.claim.text : '' } : evidence,
      );
    });
    await slanderer.ready();
    const honestGuards = [guard(server.url), guard(server.url)];
    for (const honest of honestGuards) await honest.ready();
    const worker = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await worker.ready();
    // Guards are drawn at random; ask until the slanderer has been drawn at least once.
    for (let i = 0; i < 12 && (await node(server, slanderer)).verdicts.invalid === 0; i++) {
      const answer = await chat(server, `disputed ${i}`);
      expect(answer.text).toBe(`echo: disputed ${i}`);
    }
    const slandererView = await node(server, slanderer);
    expect(slandererView.verdicts.invalid).toBeGreaterThan(0);
    // Outvoted two to one each time: one invalid check against it per slander, none against the others.
    expect(slandererView.reputation.invalidChecks).toBe(slandererView.verdicts.invalid);
    expect((await node(server, worker)).reputation.invalidChecks).toBe(0);
    for (const honest of honestGuards) expect((await node(server, honest)).reputation.invalidChecks).toBe(0);
  });

  it('refuses a verdict its own evidence contradicts, and a guard never checks its own key', async () => {
    const server = track(await startTestApp());
    const identity = newIdentity();
    const contrarian = guard(
      server.url,
      (assign, tab) => tab.sendVerdict(assign.jobId, 'invalid', echoEvidence(assign.task, assign.claim)),
      identity,
    );
    await contrarian.ready();
    const worker = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await worker.ready();
    expect((await chat(server, 'contradiction')).text).toBe('echo: contradiction');
    await eventually(
      () => contrarian.received.find((m) => m.event === 'protocol:error' && m.payload.error.code === 'protocol_violation'),
      2000,
      'refusal',
    );
    expect((await node(server, contrarian)).reputation.invalidChecks).toBe(1);

    // Same key as the only guard: the result goes out unverified rather than self-checked.
    const selfWorker = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], identity, onAssign: answerHonestly }));
    worker.close();
    await selfWorker.ready();
    const assignsToGuard = contrarian.received.filter((m) => m.event === 'verify:assign').length;
    const { taskId } = await chat(server, 'self');
    expect(contrarian.received.filter((m) => m.event === 'verify:assign').length).toBe(assignsToGuard);
    expect(server.app.tessera.store.get(taskId as never)?.result?.check).toBe('unverified');
  });

  it('holds back the stream of a checked task until the guard confirms it', async () => {
    const server = track(await startTestApp());
    let release: (() => void) | undefined;
    await guard(server.url, (assign, tab) => {
      release = () => guardHonestly(assign, tab);
    }).ready();
    const worker = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await worker.ready();
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'held back' }], stream: true }),
    });
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    const decoder = new TextDecoder();
    let received = decoder.decode((await reader.read()).value);
    await eventually(() => release, 3000, 'verify:assign');
    expect(received).not.toContain('echo');
    release?.();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += decoder.decode(chunk.value);
    expect(received).toContain(
      JSON.stringify(
        echoText({
          taskId: '' as never,
          leaseMs: 1,
          attempt: 1,
          task: {
            kind: 'chat',
            model: TINY_GPT2_ID,
            messages: [{ role: 'user', content: 'held back' }],
            params: { maxTokens: 1, temperature: 0, topP: 1, seed: null, stop: [] },
          },
        }),
      ),
    );
    expect(received.trim().endsWith('data: [DONE]')).toBe(true);
  });

  it('delivers unverified when no guard serves the model, and says so in the network figures', async () => {
    const server = track(await startTestApp());
    const worker = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await worker.ready();
    expect((await chat(server, 'alone')).text).toBe('echo: alone');
    const snapshot = networkSnapshotSchema.parse(await (await fetch(`${server.url}/api/v1/network`)).json());
    expect(snapshot.verification.unverifiedForLackOfGuards).toBe(1);
  });
});

describe('known-answer checks on join (L2 capability)', () => {
  it('a tab that gets the canary wrong may not serve that model', async () => {
    const server = track(await startTestApp({ queueTimeoutMs: 600 }));
    const broken = track(
      new ScriptedTab({
        url: server.url,
        models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)],
        passCanary: false,
        // Broken for chat only: the embedding model's known answer is given right.
        onAssign: (assign, tab) =>
          assign.task.kind === 'embeddings' && isCanary(assign) ? tab.answerCanary(assign) : answerHonestly(assign, tab),
      }),
    );
    await broken.ready();
    // One check at a time in the tab's one slot: the refusal of one model, then the other model's pass.
    const view = await eventually(
      async () => {
        const seen = await node(server, broken);
        return seen.refusedModels.length > 0 && seen.models.length > 0 ? seen : undefined;
      },
      3000,
      'refusal and pass',
    );
    expect(view.refusedModels).toEqual([TINY_GPT2_ID]);
    expect(view.models.map((model) => model.id)).toEqual([TINY_BERT_ID]);
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(response.status).toBe(503);
    const embeddings = await fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_BERT_ID, input: 'still serves this' }),
    });
    expect(embeddings.status).toBe(200);
  });

  it('a tab that passes is measured and serves', async () => {
    const server = track(await startTestApp());
    const good = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly }));
    await good.ready();
    await eventually(async () => ((await node(server, good)).models.length === 1 ? true : undefined), 3000, 'model enabled');
    expect((await node(server, good)).tokensPerSecond).toBeGreaterThan(0);
    expect(
      echoText({
        taskId: '' as never,
        leaseMs: 1,
        attempt: 1,
        task: {
          kind: 'chat',
          model: 'm',
          messages: [{ role: 'user', content: 'x' }],
          params: { maxTokens: 1, temperature: 0, topP: 1, seed: null, stop: [] },
        },
      }),
    ).toBe('echo: x');
  });
});
