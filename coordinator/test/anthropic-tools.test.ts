import Anthropic from '@anthropic-ai/sdk';
import { TINY_CHAT_ID, TINY_GPT2_ID, anthropicErrorBodySchema, anthropicStreamEventSchema, promptTokenIds } from '@tessera/shared';
import type { TaskAssign, TaskId, TaskMessage } from '@tessera/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerHonestly } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { assignsFor, metric } from './support/task-observations.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { tinyChatTab } from './support/tiny-chat-tab.ts';
import { tinyChatOutput, tinyChatTokenizer } from './support/tiny-chat-tokens.ts';

const SUBMITTED = 'tessera_tasks_submitted_total{kind="chat"}';
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Get the current weather in a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string', description: 'The city' } }, required: ['city'] },
};
const QUESTION = 'What is the weather in Paris?';
const call = (city: string): string => `<tool_call>\n{"name": "get_weather", "arguments": {"city": "${city}"}}\n</tool_call>`;
/** A call cut off by max_tokens: it does not parse, so it stays text. */
const CUT_CALL = call('Paris').slice(0, 30);

/**
 * tiny-chat as a script: with tools, a question about the weather gets a Hermes call (after a sentence when
 * it says "think", two calls when it names two cities, a call cut off when it says "[cut]"); a tool result
 * gets the answer; anything else is echoed.
 */
function script(assign: TaskAssign): { text: string; finishReason?: 'stop' | 'length' } {
  if (assign.task.kind !== 'chat') return { text: '' };
  const last = assign.task.messages.at(-1);
  if (last?.role === 'tool') return { text: 'It is sunny in Paris.' };
  const content = last?.content ?? '';
  if (assign.task.tools === undefined || !content.includes('weather')) return { text: `echo: ${content}` };
  if (content.includes('[cut]')) return { text: CUT_CALL, finishReason: 'length' };
  if (content.includes('Rome')) return { text: `${call('Paris')}\n${call('Rome')}` };
  return { text: `${content.includes('think') ? 'Let me check.\n' : ''}${call('Paris')}` };
}

const taskOf = (message: { id: string }): TaskId => message.id.slice('msg_'.length) as TaskId;

/** The chat task a tab was sent for a message. */
function chatTask(tab: ScriptedTab, message: { id: string }): Extract<TaskAssign['task'], { kind: 'chat' }> {
  const task = assignsFor(tab, taskOf(message))[0]?.task;
  if (task?.kind !== 'chat') throw new Error(`no chat task for ${message.id}`);
  return task;
}

describe('Anthropic tool use on POST /v1/messages, with the official @anthropic-ai/sdk', () => {
  let server: TestApp;
  let tab: ScriptedTab;
  let gpt2: ScriptedTab;
  let client: Anthropic;

  beforeAll(async () => {
    server = await startTestApp({ keepAliveMs: 50 });
    tab = await tinyChatTab(server, script);
    gpt2 = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID)], onAssign: answerHonestly });
    await gpt2.ready();
    client = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    tab.close();
    gpt2.close();
    await server.close();
  });

  it('answers a call as a tool_use block (stop_reason tool_use); the task carries the tools as the tab needs them', async () => {
    const message = await client.messages.create({
      model: TINY_CHAT_ID,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: QUESTION }],
    });
    const taskId = taskOf(message);
    expect(message.content).toEqual([{ type: 'tool_use', id: `toolu_${taskId}_0`, name: 'get_weather', input: { city: 'Paris' } }]);
    expect(message.stop_reason).toBe('tool_use');
    const task = chatTask(tab, message);
    expect(task).toMatchObject({
      tools: [{ name: 'get_weather', description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.input_schema }],
      messages: [{ role: 'user', content: QUESTION }],
    });
    expect([task.toolChoice, task.parallelToolCalls]).toEqual([undefined, undefined]);
  });

  it('keeps text before the calls as a text block, and gives each call its own block', async () => {
    const thinking = await client.messages.create({
      model: TINY_CHAT_ID,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: `think: ${QUESTION}` }],
    });
    expect(thinking.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: `toolu_${taskOf(thinking)}_0`, name: 'get_weather', input: { city: 'Paris' } },
    ]);
    const two = await client.messages.create({
      model: TINY_CHAT_ID,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'What is the weather in Paris and Rome?' }],
    });
    expect(two.content.map((block) => (block.type === 'tool_use' ? [block.id, block.input] : block.type))).toEqual([
      [`toolu_${taskOf(two)}_0`, { city: 'Paris' }],
      [`toolu_${taskOf(two)}_1`, { city: 'Rome' }],
    ]);
  });

  it('maps tool_choice (auto, any, tool, none) and disable_parallel_tool_use to the task', async () => {
    const ask = async (tool_choice: Anthropic.MessageCreateParams['tool_choice']) => {
      const message = await client.messages.create({
        model: TINY_CHAT_ID,
        max_tokens: 64,
        tools: [WEATHER_TOOL],
        ...(tool_choice === undefined ? {} : { tool_choice }),
        messages: [{ role: 'user', content: QUESTION }],
      });
      return { message, task: chatTask(tab, message) };
    };
    const any = await ask({ type: 'any', disable_parallel_tool_use: true });
    expect([any.task.toolChoice, any.task.parallelToolCalls]).toEqual(['required', false]);
    const named = await ask({ type: 'tool', name: 'get_weather' });
    expect([named.task.toolChoice, named.task.parallelToolCalls]).toEqual([{ name: 'get_weather' }, undefined]);
    const auto = await ask({ type: 'auto' });
    expect([auto.task.toolChoice, auto.task.tools?.length]).toEqual([undefined, 1]);
    // none: the tools stay out of the prompt, and the answer is text.
    const none = await ask({ type: 'none' });
    expect([none.task.tools, none.task.toolChoice]).toEqual([undefined, undefined]);
    expect(none.message.content).toEqual([{ type: 'text', text: `echo: ${QUESTION}` }]);
    expect(none.message.stop_reason).toBe('end_turn');
  });

  it('takes tool_use and tool_result blocks as history: assistant tool calls, then tool messages, then the text', async () => {
    const results: Anthropic.ToolResultBlockParam[] = [
      { type: 'tool_result', tool_use_id: 'toolu_a', content: 'Sunny, 21 C' },
      { type: 'tool_result', tool_use_id: 'toolu_b', content: [{ type: 'text', text: 'no such city' }], is_error: true },
    ];
    const history: Anthropic.MessageParam[] = [
      { role: 'user', content: QUESTION },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      { role: 'user', content: results },
    ];
    const message = await client.messages.create({ model: TINY_CHAT_ID, max_tokens: 64, tools: [WEATHER_TOOL], messages: history });
    expect(message.content).toEqual([{ type: 'text', text: 'It is sunny in Paris.' }]);
    expect(message.stop_reason).toBe('end_turn');
    const expected: TaskMessage[] = [
      { role: 'user', content: QUESTION },
      {
        role: 'assistant',
        content: 'Let me check.',
        toolCalls: [
          { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'toolu_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
        ],
      },
      { role: 'tool', content: 'Sunny, 21 C', toolCallId: 'toolu_a' },
      { role: 'tool', content: 'Error: no such city', toolCallId: 'toolu_b' },
    ];
    expect(chatTask(tab, message).messages).toEqual(expected);
    // Text after the results in the same user message follows them as a user message of its own.
    const followed = await client.messages.create({
      model: TINY_CHAT_ID,
      max_tokens: 64,
      messages: [...history.slice(0, 2), { role: 'user', content: [...results, { type: 'text', text: 'Thanks!' }] }],
    });
    expect(chatTask(tab, followed).messages.slice(-3)).toEqual([...expected.slice(-2), { role: 'user', content: 'Thanks!' }]);
  });

  it('streams the text, then each call as a tool_use block with one input_json_delta: finalMessage() has the parsed input', async () => {
    const params = { model: TINY_CHAT_ID, max_tokens: 64, tools: [WEATHER_TOOL] };
    const only = client.messages.stream({ ...params, messages: [{ role: 'user', content: QUESTION }] });
    const texts: string[] = [];
    only.on('text', (text) => texts.push(text));
    const final = await only.finalMessage();
    expect(texts).toEqual([]);
    expect(final.content).toEqual([{ type: 'tool_use', id: `toolu_${taskOf(final)}_0`, name: 'get_weather', input: { city: 'Paris' } }]);
    expect(final.stop_reason).toBe('tool_use');

    const raw = await client.messages.create({ ...params, stream: true, messages: [{ role: 'user', content: `think: ${QUESTION}` }] });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of raw) events.push(anthropicStreamEventSchema.parse(event) as Anthropic.RawMessageStreamEvent);
    /** Each event in brief; a text delta as `text`, its text collected apart. */
    const pieces: string[] = [];
    const frames = events.map((event) => {
      if (event.type === 'content_block_start') return `start ${event.index} ${event.content_block.type}`;
      if (event.type === 'content_block_stop') return `stop ${event.index}`;
      if (event.type === 'message_delta') return `message_delta ${event.delta.stop_reason}`;
      if (event.type !== 'content_block_delta') return event.type;
      if (event.delta.type === 'text_delta') pieces.push(event.delta.text);
      return `${event.index} ${event.delta.type === 'input_json_delta' ? event.delta.partial_json : 'text'}`;
    });
    // The text as it came, in pieces; the call and the whitespace before it held back.
    expect(pieces.join('')).toBe('Let me check.');
    expect(pieces.length).toBeGreaterThan(1);
    expect(frames.filter((frame, index) => frame !== '0 text' || frames[index - 1] !== '0 text')).toEqual([
      'message_start',
      'start 0 text',
      '0 text',
      'stop 0',
      'start 1 tool_use',
      '1 {"city":"Paris"}',
      'stop 1',
      'message_delta tool_use',
      'message_stop',
    ]);
  });

  it('a call cut off by max_tokens stays text, streamed or not (stop_reason max_tokens)', async () => {
    const body = {
      model: TINY_CHAT_ID,
      max_tokens: tinyChatOutput(CUT_CALL).tokenIds.length,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user' as const, content: `weather [cut]` }],
    };
    const whole = await client.messages.create(body);
    expect([whole.content, whole.stop_reason]).toEqual([[{ type: 'text', text: CUT_CALL }], 'max_tokens']);
    const streamed = await client.messages.stream(body).finalMessage();
    expect([streamed.content, streamed.stop_reason]).toEqual([[{ type: 'text', text: CUT_CALL }], 'max_tokens']);
  });

  it('counts the tools and the tool history in count_tokens, as /v1/messages counts usage.input_tokens', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: QUESTION },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a', content: 'Sunny, 21 C' }] },
    ];
    const counted = await client.messages.countTokens({ model: TINY_CHAT_ID, tools: [WEATHER_TOOL], messages });
    const bare = await client.messages.countTokens({ model: TINY_CHAT_ID, messages });
    expect(bare.input_tokens).toBeLessThan(counted.input_tokens);
    const taskMessages: TaskMessage[] = [
      { role: 'user', content: QUESTION },
      { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', content: 'Sunny, 21 C', toolCallId: 'toolu_a' },
    ];
    const tools = [{ name: 'get_weather', description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.input_schema }];
    expect(counted.input_tokens).toBe(promptTokenIds(tinyChatTokenizer, 'chat-template', taskMessages, tools).length);
    const message = await client.messages.create({ model: TINY_CHAT_ID, max_tokens: 32, tools: [WEATHER_TOOL], messages });
    expect(message.usage.input_tokens).toBe(counted.input_tokens);
  });

  it('refuses malformed tool bodies and tools a model cannot take with a clear 4xx in Anthropic shape, storing no task', async () => {
    const before = await metric(server, SUBMITTED);
    const user = [{ role: 'user', content: QUESTION }];
    const base = { model: TINY_CHAT_ID, max_tokens: 16, messages: user, tools: [WEATHER_TOOL] };
    const withHistory = (content: unknown[], role = 'assistant') => ({ ...base, messages: [...user, { role, content }] });
    const unsupported = 'unsupported_parameter';
    const cases: Array<{ body: unknown; code: string; mentions: string }> = [
      { body: { ...base, model: TINY_GPT2_ID }, code: unsupported, mentions: 'tools' },
      { body: { ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, code: unsupported, mentions: 'tools.0.type' },
      { body: { ...base, tools: [{ type: 'bash_20250124', name: 'bash' }] }, code: unsupported, mentions: 'tools.0.type' },
      { body: { ...base, tools: [{ name: 'f', input_schema: 'x' }] }, code: 'invalid_request', mentions: 'input_schema' },
      { body: { ...base, tools: [{ name: 'f', input_schema: { type: 'string' } }] }, code: 'invalid_request', mentions: 'input_schema' },
      { body: { ...base, tools: [{ name: 'f' }] }, code: 'invalid_request', mentions: 'input_schema' },
      { body: { ...base, tools: [{ name: 'not a name!', input_schema: { type: 'object' } }] }, code: 'invalid_request', mentions: 'name' },
      { body: { ...base, tools: [WEATHER_TOOL, WEATHER_TOOL] }, code: 'invalid_request', mentions: 'same name' },
      { body: { ...base, tool_choice: { type: 'sometimes' } }, code: 'invalid_request', mentions: 'tool_choice.type' },
      { body: { ...base, tool_choice: { type: 'tool' } }, code: 'invalid_request', mentions: 'tool_choice.name' },
      { body: { ...base, tool_choice: { type: 'tool', name: 'get_time' } }, code: 'invalid_request', mentions: 'get_time' },
      { body: { ...base, tools: [], tool_choice: { type: 'any' } }, code: 'invalid_request', mentions: 'no tools' },
      { body: withHistory([{ type: 'tool_use', name: 'get_weather', input: {} }]), code: 'invalid_request', mentions: '0.id' },
      { body: withHistory([{ type: 'tool_use', id: 'a', name: 'get_weather', input: 'x' }]), code: 'invalid_request', mentions: 'input' },
      { body: withHistory([{ type: 'tool_result', content: 'x' }], 'user'), code: 'invalid_request', mentions: 'tool_use_id' },
      { body: withHistory([{ type: 'tool_result', tool_use_id: 'a' }]), code: 'invalid_request', mentions: 'user messages' },
      {
        body: withHistory([{ type: 'tool_use', id: 'a', name: 'get_weather', input: {} }], 'user'),
        code: 'invalid_request',
        mentions: 'assistant messages',
      },
      {
        body: withHistory([{ type: 'tool_result', tool_use_id: 'a', content: [{ type: 'image', source: {} }] }], 'user'),
        code: unsupported,
        mentions: 'messages.1.content.0.content.0.type',
      },
    ];
    for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
      for (const { body, code, mentions } of cases) {
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
          body: JSON.stringify(body),
        });
        const error = anthropicErrorBodySchema.parse(await response.json());
        expect({ path, body, status: response.status, type: error.error.type, code: error.tessera?.code }).toEqual({
          path,
          body,
          status: 400,
          type: 'invalid_request_error',
          code,
        });
        expect(`${error.error.message} ${error.tessera?.param ?? ''}`).toContain(mentions);
      }
    }
    expect(await metric(server, SUBMITTED)).toBe(before);
  });
});
