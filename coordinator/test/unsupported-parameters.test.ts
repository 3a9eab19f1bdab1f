import { TINY_GPT2_ID } from '@tessera/shared';
import OpenAI, { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { metric } from './support/task-observations.ts';
import { servingTab } from './support/serving-tab.ts';
import { startTestApp } from './support/test-app.ts';
import { answerHonestly, echoText } from './support/honest-answers.ts';
import { chatOutput } from './support/tiny-tokens.ts';

const track = closeAfterEach();
const messages = [{ role: 'user' as const, content: 'plain text only' }];
const WEB_LLM_MODEL = 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';
const tool = { type: 'function' as const, function: { name: 'weather', parameters: { type: 'object', properties: {} } } };

async function refusal(client: OpenAI, body: Record<string, unknown>): Promise<APIError> {
  const error = await client.chat.completions
    .create({ model: TINY_GPT2_ID, messages, ...body } as OpenAI.ChatCompletionCreateParamsNonStreaming)
    .catch((caught: unknown) => caught);
  if (!(error instanceof APIError)) throw new Error(`expected a refusal for ${JSON.stringify(body)}`);
  return error;
}

describe('chat parameters a model cannot honour are refused by name, never dropped', () => {
  it('tools for a model without a tool format, anything shaped for web-llm, deprecated functions: 400 unsupported_parameter', async () => {
    const server = track(await startTestApp());
    await servingTab(server, track);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const refused: Array<[string, Record<string, unknown>]> = [
      ['tools', { tools: [tool] }],
      ['functions', { functions: [{ name: 'weather' }] }],
      ['function_call', { function_call: { name: 'weather' } }],
      ['response_format', { model: WEB_LLM_MODEL, response_format: { type: 'json_object' } }],
      ['logprobs', { model: WEB_LLM_MODEL, logprobs: true }],
      ['logit_bias', { model: WEB_LLM_MODEL, logit_bias: { '50': -100 } }],
      ['frequency_penalty', { model: WEB_LLM_MODEL, frequency_penalty: 0.5 }],
      ['presence_penalty', { model: WEB_LLM_MODEL, presence_penalty: -0.2 }],
    ];
    for (const [param, extra] of refused) {
      const error = await refusal(client, extra);
      expect(error.status, param).toBe(400);
      expect(error.code, param).toBe('unsupported_parameter');
      expect(error.param, param).toBe(param);
    }
    expect(await metric(server, 'tessera_tasks_submitted_total')).toBe(0);
  });

  it('contradictions and malformed tool fields are 400 invalid_request and create nothing', async () => {
    const server = track(await startTestApp());
    await servingTab(server, track);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const invalid: Array<[string, Record<string, unknown>]> = [
      ['tool_choice', { tool_choice: 'required' }],
      ['tool_choice', { tool_choice: { type: 'function', function: { name: 'weather' } } }],
      ['top_logprobs', { top_logprobs: 3 }],
      ['tools', { tools: [{ type: 'function', function: { name: 'not a name!' } }] }],
      ['tools', { tools: [{ type: 'function', function: { name: 'x', parameters: 'not an object' } }] }],
      ['response_format', { response_format: { type: 'json_schema' } }],
      ['response_format', { response_format: { type: 'xml' } }],
      ['logit_bias', { logit_bias: { hello: 1 } }],
      ['logit_bias', { logit_bias: { '5': 101 } }],
      ['top_logprobs', { logprobs: true, top_logprobs: 21 }],
      ['messages', { messages: [{ role: 'tool', content: 'no id' }] }],
      ['messages', { messages: [{ role: 'assistant', content: null }] }],
    ];
    for (const [param, extra] of invalid) {
      const error = await refusal(client, extra);
      expect(error.status, JSON.stringify(extra)).toBe(400);
      expect(error.code, JSON.stringify(extra)).toBe('invalid_request');
      expect(String(error.param ?? error.message), JSON.stringify(extra)).toContain(param);
    }
    expect(await metric(server, 'tessera_tasks_submitted_total')).toBe(0);
  });

  it('neutral values pass as plain text; JSON output and shaped logits are accepted for a transformers.js model', async () => {
    const server = track(await startTestApp());
    // Honest, and for a JSON task a JSON answer (a real tab's grammar makes one; the coordinator checks it).
    await servingTab(server, track, {
      onAssign: (assign, tab) => {
        if (assign.task.kind !== 'chat' || assign.task.responseFormat === undefined) return answerHonestly(assign, tab);
        tab.sendResult(assign.taskId, chatOutput(JSON.stringify({ echo: echoText(assign) })));
      },
    });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const neutral = await client.chat.completions.create({
      model: TINY_GPT2_ID,
      messages,
      tools: [],
      tool_choice: 'none',
      response_format: { type: 'text' },
      logprobs: false,
      logit_bias: {},
      frequency_penalty: 0,
      presence_penalty: 0,
    });
    expect(neutral.choices[0]?.message.content).toBe('echo: plain text only');
    // tool_choice "none" keeps the tools out of the prompt, so a model without a tool format takes it.
    const none = await client.chat.completions.create({ model: TINY_GPT2_ID, messages, tools: [tool], tool_choice: 'none' });
    expect(none.choices[0]?.finish_reason).toBe('stop');
    const shaped = await client.chat.completions.create({
      model: TINY_GPT2_ID,
      messages,
      response_format: { type: 'json_object' },
      logit_bias: { '50': -5 },
      frequency_penalty: 0.5,
    });
    expect(JSON.parse(shaped.choices[0]?.message.content ?? '')).toEqual({ echo: 'echo: plain text only' });
  });
});
