import { TINY_BERT_ID, TINY_GPT2_ID, completionSchema, openAIErrorBodySchema } from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { assignsFor, cancelsFor, metric } from './support/task-observations.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';

const SUBMITTED = 'tessera_tasks_submitted_total{kind="chat"}';

function answer(assign: TaskAssign, tab: ScriptedTab): void {
  if (assign.task.kind === 'chat' && (assign.task.messages.at(-1)?.content ?? '').includes('[silent]'))
    return void tab.socket.emit('task:accept', { taskId: assign.taskId });
  answerHonestly(assign, tab);
}

describe('OpenAI legacy completions (POST /v1/completions) with the official openai client', () => {
  let server: TestApp;
  let tab: ScriptedTab;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startTestApp({ keepAliveMs: 50 });
    tab = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)], onAssign: answer });
    await tab.ready();
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    tab.close();
    await server.close();
  });

  it('completes a prompt: the prompt is the one user message of a chat task, with the sampling asked', async () => {
    const completion = await client.completions.create({
      model: TINY_GPT2_ID,
      prompt: 'Once upon a time',
      max_tokens: 24,
      temperature: 0,
      stop: '\n\n',
      seed: 3,
    });
    completionSchema.parse(completion);
    expect(completion.object).toBe('text_completion');
    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.choices).toEqual([{ index: 0, text: 'echo: Once upon a time', logprobs: null, finish_reason: 'stop' }]);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    const [assign] = assignsFor(tab, completion.id.slice('cmpl-'.length) as TaskAssign['taskId']);
    expect(assign?.task).toEqual({
      kind: 'chat',
      model: TINY_GPT2_ID,
      messages: [{ role: 'user', content: 'Once upon a time' }],
      params: { maxTokens: 24, temperature: 0, topP: 1, seed: 3, stop: ['\n\n'] },
    });
  });

  it("takes a prompt array of one, and uses OpenAI's default of 16 tokens", async () => {
    const completion = await client.completions.create({ model: TINY_GPT2_ID, prompt: ['in an array'] });
    expect(completion.choices[0]?.text).toBe('echo: in an array');
    const [assign] = assignsFor(tab, completion.id.slice('cmpl-'.length) as TaskAssign['taskId']);
    expect(assign?.task.kind === 'chat' ? assign.task.params.maxTokens : null).toBe(16);
  });

  it('streams text_completion chunks, then the finish, the usage and [DONE]', async () => {
    const stream = await client.completions.create({
      model: TINY_GPT2_ID,
      prompt: 'one two three',
      max_tokens: 64,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(completionSchema.parse(chunk));
    expect(chunks.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe('echo: one two three');
    expect(chunks.filter((chunk) => (chunk.choices[0]?.text ?? '') !== '').length).toBeGreaterThan(1);
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('keeps a waiting stream alive, and cancels its task when the caller leaves', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, prompt: 'wait [silent]', stream: true }),
      signal: controller.signal,
    });
    const taskId = response.headers.get('x-tessera-task-id') as TaskAssign['taskId'];
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toBe(': keep-alive\n\n');
    controller.abort();
    await eventually(() => (cancelsFor(tab, taskId).length === 1 ? true : undefined), 3000, 'task:cancel');
  });

  it('gives a retry with the same Idempotency-Key the task of the first request', async () => {
    const before = await metric(server, SUBMITTED);
    const body = { model: TINY_GPT2_ID, prompt: 'only once' };
    const first = await client.completions.create(body, { headers: { 'Idempotency-Key': 'completion-retry-1' } });
    const again = await client.completions.create(body, { headers: { 'Idempotency-Key': 'completion-retry-1' } });
    expect(again.id).toBe(first.id);
    expect(await metric(server, SUBMITTED)).toBe(before + 1);
  });

  it('refuses malformed and unservable bodies with a clear 4xx in OpenAI shape, storing no task', async () => {
    const before = await metric(server, SUBMITTED);
    const base = { model: TINY_GPT2_ID, prompt: 'hi' };
    const cases: Array<{ body: unknown; status: number; code: string; param: string | null }> = [
      { body: { model: TINY_GPT2_ID }, status: 400, code: 'invalid_request', param: 'prompt' },
      { body: { ...base, prompt: ['a', 'b'] }, status: 400, code: 'unsupported_parameter', param: 'prompt' },
      { body: { ...base, prompt: [1, 2, 3] }, status: 400, code: 'unsupported_parameter', param: 'prompt' },
      { body: { ...base, prompt: '' }, status: 400, code: 'invalid_request', param: 'prompt' },
      { body: { ...base, max_tokens: 0 }, status: 400, code: 'invalid_request', param: 'max_tokens' },
      { body: { ...base, n: 2 }, status: 400, code: 'unsupported_parameter', param: 'n' },
      { body: { ...base, best_of: 3 }, status: 400, code: 'unsupported_parameter', param: 'best_of' },
      { body: { ...base, echo: true }, status: 400, code: 'unsupported_parameter', param: 'echo' },
      { body: { ...base, suffix: 'end' }, status: 400, code: 'unsupported_parameter', param: 'suffix' },
      { body: { ...base, logprobs: 2 }, status: 400, code: 'unsupported_parameter', param: 'logprobs' },
      { body: { ...base, model: TINY_BERT_ID }, status: 400, code: 'model_kind_mismatch', param: 'model' },
      { body: { ...base, model: 'no/such' }, status: 404, code: 'model_not_found', param: 'model' },
    ];
    for (const { body, status, code, param } of cases) {
      const response = await fetch(`${server.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const error = openAIErrorBodySchema.parse(await response.json()).error;
      expect({ body, status: response.status, code: error.code, param: error.param }).toEqual({ body, status, code, param });
    }
    expect(await metric(server, SUBMITTED)).toBe(before);
  });
});
