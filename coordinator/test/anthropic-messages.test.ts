import Anthropic from '@anthropic-ai/sdk';
import {
  TINY_BERT_ID,
  TINY_GPT2_ID,
  anthropicErrorBodySchema,
  anthropicStreamEventSchema,
  anthropicTokensCountSchema,
  formatPlainPrompt,
} from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerHonestly, echoText } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { assignsFor, cancelsFor, metric } from './support/task-observations.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { chatOutput, tinyGpt2Tokenizer } from './support/tiny-tokens.ts';

const SUBMITTED = 'tessera_tasks_submitted_total{kind="chat"}';

/** Honest, except: a prompt ending in "[length]" is cut at its max_tokens, one containing "[silent]" is never answered. */
function answer(assign: TaskAssign, tab: ScriptedTab): void {
  if (assign.task.kind !== 'chat') return answerHonestly(assign, tab);
  const last = assign.task.messages.at(-1)?.content ?? '';
  if (last.includes('[silent]')) return void tab.socket.emit('task:accept', { taskId: assign.taskId });
  if (!last.endsWith('[length]')) return answerHonestly(assign, tab);
  tab.socket.emit('task:accept', { taskId: assign.taskId });
  const output = chatOutput(echoText(assign), 'length');
  tab.sendResult(assign.taskId, output, { promptTokens: 3, completionTokens: output.tokenIds.length });
}

describe('Anthropic Messages API (POST /v1/messages) with the official @anthropic-ai/sdk', () => {
  let server: TestApp;
  let tab: ScriptedTab;
  let client: Anthropic;

  beforeAll(async () => {
    server = await startTestApp({ keepAliveMs: 50 });
    tab = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)], onAssign: answer });
    await tab.ready();
    client = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    tab.close();
    await server.close();
  });

  it('answers a message: system prompt, string and text-block content, stop sequences and temperature reach the task', async () => {
    // The SDK's latest types dropped `temperature` (newer Claude models fix it); its older callers send it, and we honour it.
    const params = {
      model: TINY_GPT2_ID,
      max_tokens: 64,
      system: 'Be brief.',
      temperature: 0,
      stop_sequences: ['###'],
      messages: [
        { role: 'user' as const, content: 'first' },
        { role: 'assistant' as const, content: 'ok' },
        {
          role: 'user' as const,
          content: [
            { type: 'text' as const, text: 'hello ' },
            { type: 'text' as const, text: 'claude' },
          ],
        },
      ],
    };
    const message = await client.messages.create(params);
    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.id).toMatch(/^msg_/);
    expect(message.content).toEqual([{ type: 'text', text: 'echo: hello claude' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const taskId = message.id.slice('msg_'.length);
    const [assign] = assignsFor(tab, taskId as TaskAssign['taskId']);
    expect(assign?.task).toMatchObject({
      kind: 'chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'hello claude' },
      ],
      params: { maxTokens: 64, temperature: 0, stop: ['###'] },
    });
  });

  it('says max_tokens when the answer was cut at the limit', async () => {
    const prompt = 'cut me [length]';
    const tokens = chatOutput(`echo: ${prompt}`).tokenIds.length;
    const message = await client.messages.create({
      model: TINY_GPT2_ID,
      max_tokens: tokens,
      messages: [{ role: 'user', content: prompt }],
    });
    expect(message.stop_reason).toBe('max_tokens');
  });

  it('streams with the SDK: its MessageStream assembles the text from the events', async () => {
    const stream = client.messages.stream({ model: TINY_GPT2_ID, max_tokens: 64, messages: [{ role: 'user', content: 'one two three' }] });
    const deltas: string[] = [];
    stream.on('text', (text) => deltas.push(text));
    const final = await stream.finalMessage();
    expect(deltas.join('')).toBe('echo: one two three');
    expect(deltas.length).toBeGreaterThan(1);
    expect(final.content).toEqual([{ type: 'text', text: 'echo: one two three' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('sends the events in Anthropic order: message_start, content_block_start, deltas, content_block_stop, message_delta, message_stop', async () => {
    const stream = await client.messages.create({
      model: TINY_GPT2_ID,
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'a b' }],
    });
    const types: string[] = [];
    for await (const event of stream) {
      anthropicStreamEventSchema.parse(event);
      types.push(event.type);
    }
    const kinds = types.filter((type, index) => type !== types[index - 1]);
    expect(kinds).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('pings a waiting stream, and cancels the task when the caller leaves', async () => {
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'wait [silent]' }] }),
    });
    const taskId = response.headers.get('x-tessera-task-id') as TaskAssign['taskId'];
    const reader = response.body?.getReader();
    let seen = '';
    while (!seen.includes('event: ping')) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) break;
      seen += new TextDecoder().decode(chunk.value);
    }
    expect(seen).toContain('event: message_start');
    expect(seen).toContain('event: ping');
    await reader?.cancel();
    await eventually(() => (cancelsFor(tab, taskId).length === 1 ? true : undefined), 3000, 'task:cancel');
  });

  it('gives a retry with the same Idempotency-Key the task of the first request', async () => {
    const before = await metric(server, SUBMITTED);
    const body = { model: TINY_GPT2_ID, max_tokens: 16, messages: [{ role: 'user' as const, content: 'only once' }] };
    const options = { headers: { 'Idempotency-Key': 'anthropic-retry-1' } };
    const first = await client.messages.create(body, options);
    const again = await client.messages.create(body, options);
    expect(again.id).toBe(first.id);
    expect(await metric(server, SUBMITTED)).toBe(before + 1);
  });

  it('answers errors in Anthropic shape, which the SDK raises as its typed errors', async () => {
    const missing = client.messages.create({ model: 'no/such-model', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
    await expect(missing).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(missing).rejects.toMatchObject({ status: 404, error: { type: 'error', error: { type: 'not_found_error' } } });
    // A catalog model no tab serves: refused at once, as on the OpenAI routes.
    const unserved = client.messages.create({
      model: 'onnx-community/Qwen2.5-0.5B-Instruct',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(unserved).rejects.toMatchObject({ status: 503, error: { error: { type: 'overloaded_error' } } });
  });

  it('refuses malformed and unservable bodies with a clear 4xx in Anthropic shape, storing no task', async () => {
    const before = await metric(server, SUBMITTED);
    const user = [{ role: 'user', content: 'hi' }];
    const base = { model: TINY_GPT2_ID, max_tokens: 16, messages: user };
    const cases: Array<{ body: unknown; status: number; code: string; mentions: string }> = [
      { body: { model: TINY_GPT2_ID, messages: user }, status: 400, code: 'invalid_request', mentions: 'max_tokens' },
      { body: { ...base, messages: [] }, status: 400, code: 'invalid_request', mentions: 'messages' },
      { body: { ...base, messages: [{ role: 'system', content: 'x' }] }, status: 400, code: 'invalid_request', mentions: 'role' },
      { body: { ...base, temperature: 1.5 }, status: 400, code: 'invalid_request', mentions: 'temperature' },
      { body: { ...base, max_tokens: 0 }, status: 400, code: 'invalid_request', mentions: 'max_tokens' },
      {
        body: { ...base, tools: [{ name: 'f', input_schema: { type: 'object' } }] },
        status: 400,
        code: 'unsupported_parameter',
        mentions: 'tools',
      },
      { body: { ...base, top_k: 5 }, status: 400, code: 'unsupported_parameter', mentions: 'top_k' },
      {
        body: { ...base, output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } },
        status: 400,
        code: 'unsupported_parameter',
        mentions: 'output_config.format',
      },
      {
        body: { ...base, thinking: { type: 'enabled', budget_tokens: 1024 } },
        status: 400,
        code: 'unsupported_parameter',
        mentions: 'thinking',
      },
      {
        body: {
          ...base,
          messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }] }],
        },
        status: 400,
        code: 'unsupported_parameter',
        mentions: 'messages.0.content.0.type',
      },
      { body: { ...base, model: TINY_BERT_ID }, status: 400, code: 'model_kind_mismatch', mentions: 'model' },
      { body: '{"model": ', status: 400, code: 'invalid_json', mentions: 'JSON' },
    ];
    for (const { body, status, code, mentions } of cases) {
      const response = await fetch(`${server.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const error = anthropicErrorBodySchema.parse(await response.json());
      expect({ status: response.status, type: error.error.type, code: error.tessera?.code }).toEqual({
        status,
        type: 'invalid_request_error',
        code,
      });
      expect(`${error.error.message} ${error.tessera?.param ?? ''}`).toContain(mentions);
    }
    expect(await metric(server, SUBMITTED)).toBe(before);
  });
  it('counts input tokens (messages.countTokens) as /v1/messages counts them into usage, without a task', async () => {
    const system = 'Be brief.';
    const messages = [
      { role: 'user' as const, content: 'first' },
      { role: 'assistant' as const, content: 'ok' },
      {
        role: 'user' as const,
        content: [
          { type: 'text' as const, text: 'count ' },
          { type: 'text' as const, text: 'these' },
        ],
      },
    ];
    const before = await metric(server, SUBMITTED);
    const counted = await client.messages.countTokens({ model: TINY_GPT2_ID, system, messages });
    expect(anthropicTokensCountSchema.strict().parse(counted)).toEqual(counted);
    expect(await metric(server, SUBMITTED)).toBe(before);
    // The tiny model's prompt is its messages joined by newlines, encoded with its tokenizer (a plain model).
    const prompt = formatPlainPrompt([
      { role: 'system', content: system },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'count these' },
    ]);
    expect(counted.input_tokens).toBe(tinyGpt2Tokenizer.encode(prompt).length);
    const message = await client.messages.create({ model: TINY_GPT2_ID, max_tokens: 32, system, messages });
    expect(counted.input_tokens).toBe(message.usage.input_tokens);
    // The system prompt is counted; a longer prompt has more tokens.
    const bare = await client.messages.countTokens({ model: TINY_GPT2_ID, messages });
    expect(bare.input_tokens).toBeLessThan(counted.input_tokens);
  });

  it('refuses malformed and unservable token counts with a clear 4xx in Anthropic shape, storing no task', async () => {
    const missing = client.messages.countTokens({ model: 'no/such-model', messages: [{ role: 'user', content: 'x' }] });
    await expect(missing).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(missing).rejects.toMatchObject({ status: 404, error: { type: 'error', error: { type: 'not_found_error' } } });
    const before = await metric(server, SUBMITTED);
    const user = [{ role: 'user', content: 'hi' }];
    const base = { model: TINY_GPT2_ID, messages: user };
    const cases: Array<{ body: unknown; code: string; mentions: string }> = [
      { body: { model: TINY_GPT2_ID }, code: 'invalid_request', mentions: 'messages' },
      { body: { messages: user }, code: 'invalid_request', mentions: 'model' },
      { body: { ...base, model: 7 }, code: 'invalid_request', mentions: 'model' },
      { body: { ...base, model: 'm'.repeat(201) }, code: 'invalid_request', mentions: 'model' },
      { body: { ...base, messages: 'hi' }, code: 'invalid_request', mentions: 'messages' },
      { body: { ...base, messages: [] }, code: 'invalid_request', mentions: 'messages' },
      { body: { ...base, messages: [{ role: 'system', content: 'x' }] }, code: 'invalid_request', mentions: 'role' },
      { body: { ...base, system: 5 }, code: 'invalid_request', mentions: 'system' },
      { body: { ...base, tools: [{ name: 'f', input_schema: { type: 'object' } }] }, code: 'unsupported_parameter', mentions: 'tools' },
      { body: { ...base, thinking: { type: 'enabled', budget_tokens: 1024 } }, code: 'unsupported_parameter', mentions: 'thinking' },
      {
        body: { ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', data: 'x' } }] }] },
        code: 'unsupported_parameter',
        mentions: 'messages.0.content.0.type',
      },
      { body: { ...base, model: TINY_BERT_ID }, code: 'model_kind_mismatch', mentions: 'model' },
      { body: '{"model": ', code: 'invalid_json', mentions: 'JSON' },
    ];
    for (const { body, code, mentions } of cases) {
      const response = await fetch(`${server.url}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const error = anthropicErrorBodySchema.parse(await response.json());
      expect({ body, status: response.status, type: error.error.type, code: error.tessera?.code }).toEqual({
        body,
        status: 400,
        type: 'invalid_request_error',
        code,
      });
      expect(`${error.error.message} ${error.tessera?.param ?? ''}`).toContain(mentions);
    }
    expect(await metric(server, SUBMITTED)).toBe(before);
  });
});
