import { TINY_BERT_ID, TINY_GPT2_ID, formatPlainPrompt } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { answerHonestly, echoText, vectorFor } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { chatOutput, tinyGpt2Tokenizer } from './support/tiny-tokens.ts';

let server: TestApp | undefined;
const tabs: ScriptedTab[] = [];

afterEach(async () => {
  for (const tab of tabs.splice(0)) tab.close();
  await server?.close();
  server = undefined;
});

async function start(): Promise<TestApp> {
  server = await startTestApp();
  return server;
}

async function tab(app: TestApp, onAssign: (assign: TaskAssign, tab: ScriptedTab) => unknown): Promise<ScriptedTab> {
  const scripted = new ScriptedTab({ url: app.url, models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)], onAssign });
  tabs.push(scripted);
  await scripted.ready();
  await eventually(() => (app.app.tessera.registry.get(scripted.nodeId)?.models.size === 2 ? true : undefined), 3000, 'tab serving');
  return scripted;
}

async function chat(app: TestApp, content: string, extra: Record<string, unknown> = {}) {
  const response = await fetch(`${app.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: TINY_GPT2_ID, messages: [{ role: 'user', content }], temperature: 0, ...extra }),
  });
  return { status: response.status, body: await response.json() };
}

const countTokens = (text: string) => tinyGpt2Tokenizer.encode(text).length;

describe('the coordinator counts the work itself', () => {
  it('answers callers and credits the ledger with its own token count, whatever the tab claims', async () => {
    const app = await start();
    const inflating = await tab(app, (assign, scripted) => {
      scripted.sendResult(assign.taskId, chatOutput(echoText(assign)), { promptTokens: 1e9, completionTokens: 1e9 });
    });
    const { status, body } = await chat(app, 'count me');
    expect(status).toBe(200);
    const completionTokens = chatOutput('echo: count me').tokenIds.length;
    expect(body.usage).toEqual({
      prompt_tokens: countTokens(formatPlainPrompt([{ role: 'user', content: 'count me' }])),
      completion_tokens: completionTokens,
      total_tokens: countTokens('count me') + completionTokens,
    });
    const credited = app.app.tessera.ledger.history(inflating.identity.publicKey);
    expect(credited.map((entry) => entry.units)).toEqual([String(completionTokens)]);
  });

  it('counts embedding work as the inputs it sent, however many the tab reports', async () => {
    const app = await start();
    await tab(app, (assign, scripted) => {
      if (assign.task.kind !== 'embeddings') return;
      scripted.sendResult(
        assign.taskId,
        { kind: 'embeddings', vectors: assign.task.texts.map(vectorFor) },
        { promptTokens: 1e9, completionTokens: 7 },
      );
    });
    const response = await fetch(`${app.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_BERT_ID, input: ['a', 'b'] }),
    });
    const body = await response.json();
    expect(body.usage.prompt_tokens).toBeLessThan(20);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it.each([
    [
      'text that is not the decoding of its tokens',
      (assign: TaskAssign) => ({ ...chatOutput(echoText(assign)), text: 'buy my token' }),
      'not the decoding',
    ],
    [
      'finish_reason length well short of max_tokens',
      (assign: TaskAssign) => chatOutput(echoText(assign), 'length'),
      'finish_reason is length',
    ],
    ['text but no token ids', (assign: TaskAssign) => ({ ...chatOutput(echoText(assign)), tokenIds: [] }), 'no token ids'],
  ])('refuses %s like a caught result, and the task is answered by an honest tab', async (_name, forge, reason) => {
    const app = await start();
    const liar = await tab(app, (assign, scripted) => scripted.sendResult(assign.taskId, forge(assign)));
    const answer = chat(app, 'catch me');
    const refusal = await eventually(() =>
      liar.received.find((message) => message.event === 'protocol:error' && message.payload.error.code === 'result_refused'),
    );
    expect(refusal.event === 'protocol:error' && refusal.payload.error.message).toContain(reason);
    await tab(app, answerHonestly);
    const { status, body } = await answer;
    expect(status).toBe(200);
    expect(body.choices[0].message.content).toBe('echo: catch me');
    expect(app.app.tessera.reputation.get(liar.identity.publicKey)).toMatchObject({ invalidChecks: 1, consecutiveValid: 0 });
    expect(app.app.tessera.ledger.history(liar.identity.publicKey)).toEqual([]);
  });

  it('refuses prose for a JSON task on every result, sampled or not (tool calls: src/work/answer-format-audit.test.ts)', async () => {
    const app = await start();
    const liar = await tab(app, (assign, scripted) => scripted.sendResult(assign.taskId, chatOutput(echoText(assign))));
    const schema = { type: 'object', properties: { echo: { type: 'string' } }, required: ['echo'] };
    const answer = chat(app, 'json please', { response_format: { type: 'json_schema', json_schema: { name: 'e', schema } } });
    const refusal = await eventually(() =>
      liar.received.find((message) => message.event === 'protocol:error' && message.payload.error.code === 'result_refused'),
    );
    expect(refusal.event === 'protocol:error' && refusal.payload.error.message).toContain('not JSON');
    // The honest tab decodes under the grammar; here it answers with JSON that fits the schema.
    await tab(app, (assign, scripted) => scripted.sendResult(assign.taskId, chatOutput('{"echo": "json please"}')));
    const { status, body } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(body.choices[0].message.content)).toEqual({ echo: 'json please' });
    expect(app.app.tessera.reputation.get(liar.identity.publicKey)).toMatchObject({ invalidChecks: 1 });
  });

  it('measures speed by its own clock: a tab that claims to be instant is not believed', async () => {
    const app = await start();
    const slow = await tab(app, (assign, scripted) => {
      setTimeout(() => answerHonestly(assign, scripted), 300);
    });
    const before = app.app.tessera.registry.get(slow.nodeId)?.tokensPerSecond ?? 0;
    await chat(app, 'take your time');
    const after = app.app.tessera.registry.get(slow.nodeId)?.tokensPerSecond ?? Infinity;
    const tokens = chatOutput('echo: take your time').tokenIds.length;
    // The result claims totalMs 2 (thousands of tokens a second); the coordinator saw at least 300 ms.
    // Speed is a moving average (weight 0.2) seeded by the known-answer check, also timed here.
    expect(after).toBeLessThanOrEqual(0.8 * before + 0.2 * (tokens / 0.3) + 1);
    expect(after).toBeLessThan(0.8 * before + 0.2 * (tokens / 0.002) - 100);
  });
});
