import Anthropic from '@anthropic-ai/sdk';
import { TINY_CHAT_ID } from '@tessera/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCoordinator } from './support/coordinator.ts';
import { TINY_CHAT, startTinyChatTab, type TinyChatTab } from './support/tiny-chat-tab.ts';
import { judgeInNode } from './support/node-guard.ts';

/**
 * The tiny chat model is trained (coordinator/models/) so that greedy decoding gives these answers: a call of
 * get_weather for the question, the sentence for its result. The tab's grammar keeps the call well-formed.
 */
const WEATHER_TOOL = {
  name: TINY_CHAT.weatherTool.function.name,
  description: TINY_CHAT.weatherTool.function.description,
  input_schema: { ...TINY_CHAT.weatherTool.function.parameters, type: 'object' as const },
};
const { weatherQuestion: WEATHER_QUESTION, weatherResult: WEATHER_RESULT, weatherAnswer: WEATHER_ANSWER } = TINY_CHAT;
/**
 * Greedy decoding, which the model's answers are trained for. The SDK's latest types dropped `temperature`
 * (newer Claude models fix it); its older callers send it, and Tessera honours it: passed as a variable.
 */
const GREEDY = { model: TINY_CHAT_ID, max_tokens: 64, temperature: 0, tools: [WEATHER_TOOL] };

describe('Anthropic tool use through @anthropic-ai/sdk, against a real tab', () => {
  let tab: TinyChatTab;
  let coordinator: RunningCoordinator;
  let client: Anthropic;

  beforeAll(async () => {
    tab = await startTinyChatTab();
    coordinator = tab.coordinator;
    client = new Anthropic({ baseURL: coordinator.url, apiKey: 'not-needed', maxRetries: 0 });
  });

  afterAll(async () => {
    await tab?.close();
  });

  it('messages.create: the call comes back as a tool_use block, which a Node guard replaying the grammar finds valid; its result gets the answer', async () => {
    const message = await client.messages.create({ ...GREEDY, messages: [{ role: 'user', content: WEATHER_QUESTION }] });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toHaveLength(1);
    const call = message.content[0];
    if (call?.type !== 'tool_use') throw new Error(`expected a tool_use block, got ${JSON.stringify(message.content)}`);
    expect(call).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
    expect(call.id).toMatch(/^toolu_/);
    expect(await judgeInNode(coordinator, message.id.replace(/^msg_/, ''))).toMatchObject({ verdict: 'valid' });

    const answer = await client.messages.create({
      ...GREEDY,
      messages: [
        { role: 'user', content: WEATHER_QUESTION },
        { role: 'assistant', content: message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: WEATHER_RESULT }] },
      ],
    });
    expect(answer.content).toEqual([{ type: 'text', text: WEATHER_ANSWER }]);
    expect(answer.stop_reason).toBe('end_turn');
  });

  it('messages.stream: finalMessage() assembles the same tool_use from its input_json_delta; count_tokens counts the tools as usage does', async () => {
    const stream = client.messages.stream({
      ...GREEDY,
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: WEATHER_QUESTION }],
    });
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const final = await stream.finalMessage();
    expect(text).toBe('');
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'get_weather', input: { city: 'Paris' } },
    ]);
    const counted = await client.messages.countTokens({
      model: TINY_CHAT_ID,
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: WEATHER_QUESTION }],
    });
    expect(counted.input_tokens).toBe(final.usage.input_tokens);
  });
});
