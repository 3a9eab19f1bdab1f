import { TINY_CHAT_ID } from '@tessera/shared';
import { Ollama, type ChatResponse, type Message, type ToolCall } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_CHAT, startTinyChatTab, type TinyChatTab } from './support/tiny-chat-tab.ts';

/**
 * The tiny chat model is trained (coordinator/models/) so that greedy decoding gives these answers; the
 * tab's grammar (XGrammar) keeps tool calls and JSON well-formed. Here they go through Ollama's /api/chat,
 * as the official `ollama` client sends and reads it.
 */
const { weatherTool: WEATHER_TOOL, weatherQuestion: WEATHER_QUESTION, weatherResult: WEATHER_RESULT } = TINY_CHAT;
const { weatherAnswer: WEATHER_ANSWER, networkSchema: NETWORK_SCHEMA, network: NETWORK } = TINY_CHAT;
const PARIS_CALL = { name: WEATHER_TOOL.function.name, arguments: TINY_CHAT.parisArguments };
const GREEDY = { temperature: 0 };

/** A streamed answer as one: its text joined, its calls gathered, its pieces kept. */
async function gathered(stream: AsyncIterable<ChatResponse>): Promise<{ content: string; calls: ToolCall[]; parts: ChatResponse[] }> {
  const parts: ChatResponse[] = [];
  for await (const part of stream) parts.push(part);
  return {
    content: parts.map((part) => part.message.content).join(''),
    calls: parts.flatMap((part) => part.message.tool_calls ?? []),
    parts,
  };
}

describe('Ollama /api/chat tools and format against a real tab, through the ollama client', () => {
  let tab: TinyChatTab;
  let ollama: Ollama;

  beforeAll(async () => {
    tab = await startTinyChatTab();
    ollama = new Ollama({ host: tab.coordinator.url });
  });

  afterAll(async () => {
    await tab?.close();
  });

  it('show lists the tools capability; a call comes back as message.tool_calls with its arguments as an object', async () => {
    expect((await ollama.show({ model: TINY_CHAT_ID })).capabilities).toEqual(['completion', 'tools']);
    const response = await ollama.chat({
      model: TINY_CHAT_ID,
      messages: [{ role: 'user', content: WEATHER_QUESTION }],
      tools: [WEATHER_TOOL],
      options: GREEDY,
      stream: false,
    });
    expect(response.message.content).toBe('');
    expect(response.message.tool_calls?.map((call) => call.function)).toEqual([{ index: 0, ...PARIS_CALL }]);
    expect(response.done_reason).toBe('stop');
  });

  it('streamed, no piece of the call shows as text, the call arrives in one piece; the tool result then gets the answer', async () => {
    const streamed = await gathered(
      await ollama.chat({
        model: TINY_CHAT_ID,
        messages: [{ role: 'user', content: WEATHER_QUESTION }],
        tools: [WEATHER_TOOL],
        options: GREEDY,
        stream: true,
      }),
    );
    expect(streamed.content).toBe('');
    expect(streamed.calls.map((call) => call.function)).toEqual([{ index: 0, ...PARIS_CALL }]);
    expect(streamed.parts.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });

    // The history as an Ollama client keeps it: the assistant's calls as they came (no ids needed), the tool's answer.
    const history: Message[] = [
      { role: 'user', content: WEATHER_QUESTION },
      { role: 'assistant', content: '', tool_calls: [{ function: PARIS_CALL }] },
      { role: 'tool', content: WEATHER_RESULT, tool_name: 'get_weather' },
    ];
    const answer = await ollama.chat({ model: TINY_CHAT_ID, messages: history, tools: [WEATHER_TOOL], options: GREEDY, stream: false });
    expect(answer.message.content).toBe(WEATHER_ANSWER);
    expect(answer.message.tool_calls).toBeUndefined();
    const streamedAnswer = await gathered(
      await ollama.chat({ model: TINY_CHAT_ID, messages: history, tools: [WEATHER_TOOL], options: GREEDY, stream: true }),
    );
    expect(streamedAnswer.content).toBe(WEATHER_ANSWER);
    expect(streamedAnswer.calls).toEqual([]);
  });

  it('format with a JSON schema gives JSON valid against it, streamed or not', async () => {
    const request = {
      model: TINY_CHAT_ID,
      messages: [{ role: 'user', content: 'Describe Tessera as JSON.' }],
      format: NETWORK_SCHEMA,
      options: GREEDY,
    };
    const whole = await ollama.chat({ ...request, stream: false });
    expect(JSON.parse(whole.message.content)).toEqual(NETWORK);
    const streamed = await gathered(await ollama.chat({ ...request, stream: true }));
    expect(JSON.parse(streamed.content)).toEqual(NETWORK);
  });
});
