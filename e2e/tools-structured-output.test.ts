import { TINY_CHAT_ID, taskIdSchema } from '@tessera/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { aiSdk } from './snippets/ai-sdk.ts';
import { langchain } from './snippets/langchain.ts';
import { openaiTools } from './snippets/openai-tools.ts';
import type { RunningCoordinator } from './support/coordinator.ts';
import { judgeInNode } from './support/node-guard.ts';
import { TINY_CHAT, startTinyChatTab, type TinyChatTab } from './support/tiny-chat-tab.ts';

const { weatherTool: WEATHER_TOOL, weatherQuestion: WEATHER_QUESTION, weatherResult: WEATHER_RESULT } = TINY_CHAT;
const { weatherAnswer: WEATHER_ANSWER, jsonQuestion: JSON_QUESTION, network: NETWORK } = TINY_CHAT;

/** What a snippet prints with console.log, in order. */
async function logged(run: () => Promise<void>): Promise<unknown[]> {
  const lines: unknown[] = [];
  const spy = vi
    .spyOn(console, 'log')
    .mockImplementation((...values: unknown[]) => void lines.push(values.length === 1 ? values[0] : values));
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe('tool calling and structured output through the clients developers use, against a real tab', () => {
  // The tiny chat model answers these questions under greedy decoding (support/tiny-chat-tab.ts); the tab's
  // grammar (XGrammar) keeps tool calls and JSON well-formed, and a Node guard replays the same mask.
  let tab: TinyChatTab;
  let coordinator: RunningCoordinator;
  let client: OpenAI;

  beforeAll(async () => {
    tab = await startTinyChatTab();
    coordinator = tab.coordinator;
    client = new OpenAI({ baseURL: `${coordinator.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  });

  afterAll(async () => {
    await tab?.close();
  });

  it('openai: a tool call comes back as tool_calls, and a Node guard replaying the grammar finds it valid', async () => {
    const completion = await client.chat.completions.create({
      model: TINY_CHAT_ID,
      messages: [{ role: 'user', content: WEATHER_QUESTION }],
      tools: [WEATHER_TOOL],
      temperature: 0,
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? call.function : undefined).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(await judgeInNode(coordinator, completion.id)).toMatchObject({ verdict: 'valid' });
  });

  it('openai: streamed, the call arrives as a tool_calls delta; the tool result then gets the answer', async () => {
    const stream = await client.chat.completions.create({
      model: TINY_CHAT_ID,
      messages: [{ role: 'user', content: WEATHER_QUESTION }],
      tools: [WEATHER_TOOL],
      tool_choice: 'required',
      temperature: 0,
      stream: true,
    });
    const calls: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let content = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      calls.push(...(choice?.delta.tool_calls ?? []));
      content += choice?.delta.content ?? '';
      finish = choice?.finish_reason ?? finish;
    }
    expect(content).toBe('');
    expect(finish).toBe('tool_calls');
    expect(calls).toHaveLength(1);
    const call = calls[0];
    expect(call?.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });

    const answer = await client.chat.completions.create({
      model: TINY_CHAT_ID,
      messages: [
        { role: 'user', content: WEATHER_QUESTION },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: call?.id ?? 'x', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: call?.id ?? 'x', content: WEATHER_RESULT },
      ],
      tools: [WEATHER_TOOL],
      temperature: 0,
    });
    expect(answer.choices[0]?.message.content).toBe(WEATHER_ANSWER);
    expect(answer.choices[0]?.finish_reason).toBe('stop');
  });

  it('openai: response_format json_schema gives JSON valid against the schema, and log probabilities the guard checks', async () => {
    const completion = await client.chat.completions.create({
      model: TINY_CHAT_ID,
      messages: [{ role: 'user', content: JSON_QUESTION }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'network',
          schema: { type: 'object', properties: { name: { type: 'string' }, kind: { type: 'string' } }, required: ['name', 'kind'] },
        },
      },
      logprobs: true,
      top_logprobs: 2,
      temperature: 0,
    });
    const choice = completion.choices[0];
    expect(JSON.parse(choice?.message.content ?? '')).toEqual(NETWORK);
    const tokens = choice?.logprobs?.content ?? [];
    expect(tokens.map((token) => token.token).join('')).toBe(choice?.message.content);
    for (const token of tokens) {
      expect(token.logprob).toBeLessThanOrEqual(0);
      expect(token.top_logprobs).toHaveLength(2);
      expect(token.top_logprobs[0]?.token).toBe(token.token);
    }
    expect(await judgeInNode(coordinator, completion.id)).toMatchObject({ verdict: 'valid' });
    const lying = await judgeInNode(coordinator, completion.id, (claim) => ({
      ...claim,
      logprobs: claim.logprobs?.map((entry) => ({ ...entry, logprob: entry.logprob / 2 - 1 })),
    }));
    expect(lying.verdict).toBe('invalid');
  });

  it('the grammar runs in the tab: a question the model answers in prose comes back as JSON when JSON is asked', async () => {
    const prose = await client.chat.completions.create({
      model: TINY_CHAT_ID,
      messages: [{ role: 'user', content: 'Say hello.' }],
      temperature: 0,
    });
    expect(prose.choices[0]?.message.content).toBe('Hello from Tessera.');
    const json = await client.chat.completions.create({
      model: TINY_CHAT_ID,
      messages: [{ role: 'user', content: 'Say hello.' }],
      response_format: { type: 'json_object' },
      max_tokens: 48,
      temperature: 0,
    });
    const text = json.choices[0]?.message.content ?? '';
    expect(json.choices[0]?.finish_reason).toBe('stop');
    expect(typeof JSON.parse(text)).toBe('object');
    expect(await judgeInNode(coordinator, json.id)).toMatchObject({ verdict: 'valid' });
    // The prose answer claimed for the JSON task breaks the grammar at its first token (a guard's invalid verdict).
    const proseClaim = coordinator.app.tessera.store.get(taskIdSchema.parse(prose.id.replace(/^chatcmpl-/, '')))?.result?.output;
    if (proseClaim?.kind !== 'chat') throw new Error('no prose result stored');
    await expect(judgeInNode(coordinator, json.id, () => proseClaim)).rejects.toThrow(/not allowed by the task's output grammar/);
  });

  it('the README snippets run unchanged: openai tools and JSON, LangChain bindTools and withStructuredOutput, AI SDK tools and objects', async () => {
    expect(await logged(() => openaiTools(coordinator.url))).toEqual([
      ['get_weather', '{"city":"Paris"}'],
      WEATHER_ANSWER,
      NETWORK,
      expect.any(Number),
    ]);
    expect(await logged(() => langchain(coordinator.url))).toEqual([[['get_weather', { city: 'Paris' }]], NETWORK]);
    expect(await logged(() => aiSdk(coordinator.url))).toEqual([[['get_weather', { city: 'Paris' }]], WEATHER_ANSWER, NETWORK]);
  });
});
