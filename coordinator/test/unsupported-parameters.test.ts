import { TINY_GPT2_ID } from '@tessera/shared';
import OpenAI, { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { metric } from './support/task-observations.ts';
import { servingTab } from './support/serving-tab.ts';
import { startTestApp } from './support/test-app.ts';

const track = closeAfterEach();
const messages = [{ role: 'user' as const, content: 'plain text only' }];

describe('chat parameters no tab honours are refused by name, never dropped', () => {
  it('tools, structured output, log probabilities, bias and penalties get 400 unsupported_parameter; neutral values pass', async () => {
    const server = track(await startTestApp());
    await servingTab(server, track);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const tool = { type: 'function' as const, function: { name: 'weather', parameters: { type: 'object', properties: {} } } };
    const refused: Array<[string, Record<string, unknown>]> = [
      ['tools', { tools: [tool] }],
      ['tool_choice', { tool_choice: { type: 'function', function: { name: 'weather' } } }],
      ['response_format', { response_format: { type: 'json_object' } }],
      ['response_format', { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } }],
      ['logprobs', { logprobs: true }],
      ['top_logprobs', { top_logprobs: 3 }],
      ['logit_bias', { logit_bias: { '50256': -100 } }],
      ['frequency_penalty', { frequency_penalty: 0.5 }],
      ['presence_penalty', { presence_penalty: -0.2 }],
    ];
    for (const [param, extra] of refused) {
      const error = await client.chat.completions
        .create({ model: TINY_GPT2_ID, messages, ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((caught: unknown) => caught);
      expect(error, param).toBeInstanceOf(APIError);
      expect((error as APIError).status, param).toBe(400);
      expect((error as APIError).code, param).toBe('unsupported_parameter');
      expect((error as APIError).param, param).toBe(param);
    }
    expect(await metric(server, 'tessera_tasks_submitted_total')).toBe(0);
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
  });
});
