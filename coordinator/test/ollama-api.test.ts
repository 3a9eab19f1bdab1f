import {
  MODEL_CATALOG,
  TINY_BERT_ID,
  TINY_CHAT_ID,
  TINY_GPT2_ID,
  findModel,
  ollamaChatResponseSchema,
  ollamaErrorBodySchema,
  ollamaGenerateResponseSchema,
  ollamaShowResponseSchema,
} from '@tessera/shared';
import type { ChatTaskSpec, TaskAssign } from '@tessera/shared';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerHonestly, vectorFor } from './support/honest-answers.ts';
import { chatOutput } from './support/tiny-tokens.ts';
import { ScriptedTab, canaryAsked, loaded } from './support/scripted-tab.ts';
import { assignsFor, cancelsFor, metric } from './support/task-observations.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { tinyChatOutput } from './support/tiny-chat-tokens.ts';

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string', description: 'The city' } }, required: ['city'] },
  },
};
const WEATHER_QUESTION = 'What is the weather in Paris?';
const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const PARIS_CALL = { name: 'get_weather', arguments: { city: 'Paris' } };

/** Honest, except that a prompt containing "[silent]" is accepted and never answered. */
function answer(assign: TaskAssign, tab: ScriptedTab): void {
  if (assign.task.kind === 'chat' && (assign.task.messages.at(-1)?.content ?? '').includes('[silent]'))
    return void tab.socket.emit('task:accept', { taskId: assign.taskId });
  // A JSON task gets JSON, as a real tab's grammar makes it (the coordinator refuses prose for it).
  if (assign.task.kind === 'chat' && assign.task.responseFormat !== undefined)
    return tab.sendResult(assign.taskId, chatOutput(JSON.stringify({ ok: true })));
  answerHonestly(assign, tab);
}

/**
 * tiny-chat as a script, in its own tokens: a Hermes call for a question about the weather (after a sentence
 * when told to think first), else an echo, streamed in pieces small enough to split a call; checks answered right.
 */
function answerTinyChat(assign: TaskAssign, tab: ScriptedTab): void {
  const canary = canaryAsked(assign);
  if (canary?.kind === 'chat') return void tab.sendResult(assign.taskId, tinyChatOutput(canary.expectedCompletion, canary.finishReason));
  if (assign.task.kind !== 'chat') return;
  tab.socket.emit('task:accept', { taskId: assign.taskId });
  const last = assign.task.messages.at(-1)?.content ?? '';
  const output = tinyChatOutput(last.includes('weather') ? `${last.includes('think') ? 'Let me check.\n' : ''}${CALL}` : `echo: ${last}`);
  (output.text.match(/[\s\S]{1,4}/g) ?? []).forEach((delta, seq) => tab.socket.emit('task:chunk', { taskId: assign.taskId, seq, delta }));
  tab.sendResult(assign.taskId, output);
}

/** The last chat task a tab was given whose last message is `content`. */
function assignedChat(tab: ScriptedTab, content: string): ChatTaskSpec | undefined {
  return tab.received
    .flatMap((message) =>
      message.event === 'task:assign' && message.payload.task.kind === 'chat' && message.payload.task.messages.at(-1)?.content === content
        ? [message.payload.task]
        : [],
    )
    .at(-1);
}

async function submitted(server: TestApp): Promise<number> {
  return (
    (await metric(server, 'tessera_tasks_submitted_total{kind="chat"}')) +
    (await metric(server, 'tessera_tasks_submitted_total{kind="embeddings"}'))
  );
}

describe('Ollama API (/api/chat, /api/generate, /api/embed, /api/tags, /api/show) with the official ollama client', () => {
  let server: TestApp;
  let tab: ScriptedTab;
  let chatTab: ScriptedTab;
  let ollama: Ollama;

  beforeAll(async () => {
    server = await startTestApp({ keepAliveMs: 50 });
    tab = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)], onAssign: answer });
    chatTab = new ScriptedTab({ url: server.url, models: [loaded(TINY_CHAT_ID)], passCanary: false, onAssign: answerTinyChat });
    await Promise.all([tab.ready(), chatTab.ready()]);
    // A tab's models become servable a moment after its welcome.
    const { availability } = server.app.tessera;
    const served = [TINY_GPT2_ID, TINY_BERT_ID, TINY_CHAT_ID];
    await eventually(() => (served.every((id) => availability.online(id) > 0) ? true : undefined));
    ollama = new Ollama({ host: server.url });
  });
  afterAll(async () => {
    tab.close();
    chatTab.close();
    await server.close();
  });

  it('chats without streaming: one object, done, with counts; options reach the task', async () => {
    const response = await ollama.chat({
      model: TINY_GPT2_ID,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello ollama' },
      ],
      options: { temperature: 0, num_predict: 32, seed: 7, stop: ['###'] },
    });
    ollamaChatResponseSchema.parse(response);
    expect(response.message).toEqual({ role: 'assistant', content: 'echo: hello ollama' });
    expect(response.done).toBe(true);
    expect(response.done_reason).toBe('stop');
    expect(response.eval_count).toBeGreaterThan(0);
    const [assign] = tab.received.flatMap((message) =>
      message.event === 'task:assign' &&
      message.payload.task.kind === 'chat' &&
      message.payload.task.messages.at(-1)?.content === 'hello ollama'
        ? [message.payload]
        : [],
    );
    expect(assign?.task).toMatchObject({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello ollama' },
      ],
      params: { maxTokens: 32, temperature: 0, seed: 7, stop: ['###'] },
    });
  });

  it('format "json" or a schema reaches the tab as the task\'s output format (its grammar), on chat and generate', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    await ollama.chat({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'format json' }], format: 'json' });
    await ollama.generate({ model: TINY_GPT2_ID, prompt: 'format schema', format: schema, stream: false });
    const formats = tab.received.flatMap((message) =>
      message.event === 'task:assign' &&
      message.payload.task.kind === 'chat' &&
      message.payload.task.messages.at(-1)?.content.startsWith('format ')
        ? [message.payload.task.responseFormat]
        : [],
    );
    expect(formats).toEqual([{ type: 'json_object' }, { type: 'json_schema', schema }]);
  });

  it('streams a chat as newline-delimited JSON, the last object done', async () => {
    const stream = await ollama.chat({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'one two three' }], stream: true });
    const parts = [];
    for await (const part of stream) parts.push(part);
    expect(parts.map((part) => part.message.content).join('')).toBe('echo: one two three');
    expect(parts.filter((part) => part.message.content !== '').length).toBeGreaterThan(1);
    expect(parts.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });
    expect(parts.slice(0, -1).every((part) => !part.done)).toBe(true);
  });

  it('streams by default when the request says nothing, as Ollama does', async () => {
    const response = await fetch(`${server.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: `${TINY_GPT2_ID}:latest`, messages: [{ role: 'user', content: 'by default' }] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => ollamaChatResponseSchema.parse(JSON.parse(line)));
    expect(lines.map((line) => line.message.content).join('')).toBe('echo: by default');
    expect(lines.at(-1)?.done).toBe(true);
  });

  it('tools: a call in the answer is message.tool_calls, arguments an object, content empty; the task carries the tools', async () => {
    const response = await ollama.chat({
      model: TINY_CHAT_ID,
      messages: [{ role: 'user', content: WEATHER_QUESTION }],
      tools: [WEATHER_TOOL],
      options: { temperature: 0 },
      stream: false,
    });
    ollamaChatResponseSchema.strict().parse(response);
    expect(response.message).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [{ id: expect.stringMatching(/^call_/), function: { index: 0, ...PARIS_CALL } }],
    });
    expect(response).toMatchObject({ done: true, done_reason: 'stop' });
    const task = assignedChat(chatTab, WEATHER_QUESTION);
    expect(task?.tools).toEqual([WEATHER_TOOL.function]);
    expect(task?.toolChoice).toBeUndefined();
    expect(task?.params.temperature).toBe(0);

    // Text before the call is the message's content, trimmed.
    const thinking = await ollama.chat({
      model: TINY_CHAT_ID,
      messages: [{ role: 'user', content: `${WEATHER_QUESTION} think first` }],
      tools: [WEATHER_TOOL],
    });
    expect(thinking.message.content).toBe('Let me check.');
    expect(thinking.message.tool_calls?.map((call) => call.function)).toEqual([{ index: 0, ...PARIS_CALL }]);
  });

  it('tools, streamed: text as it comes, never a piece of a call; the calls in one piece just before the last', async () => {
    for (const question of [WEATHER_QUESTION, `${WEATHER_QUESTION} think first`]) {
      const stream = await ollama.chat({
        model: TINY_CHAT_ID,
        messages: [{ role: 'user', content: question }],
        tools: [WEATHER_TOOL],
        stream: true,
      });
      const parts = [];
      for await (const part of stream) parts.push(ollamaChatResponseSchema.strict().parse(part));
      const content = parts.map((part) => part.message.content).join('');
      expect(content.trim()).toBe(question === WEATHER_QUESTION ? '' : 'Let me check.');
      const withCalls = parts.flatMap((part, index) => (part.message.tool_calls === undefined ? [] : [{ part, index }]));
      expect(withCalls).toHaveLength(1);
      expect(withCalls[0]?.index).toBe(parts.length - 2);
      expect(withCalls[0]?.part.done).toBe(false);
      expect(withCalls[0]?.part.message.tool_calls?.map((call) => call.function)).toEqual([{ index: 0, ...PARIS_CALL }]);
      expect(parts.at(-1)).toMatchObject({ done: true, done_reason: 'stop', message: { content: '' } });
    }
  });

  it('tools in the history: calls without ids get call_<n>, a tool message answers its call (by id, or the next of its tool)', async () => {
    const result = 'Sunny, 21 C';
    const response = await ollama.chat({
      model: TINY_CHAT_ID,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: WEATHER_QUESTION },
        { role: 'assistant', content: '', tool_calls: [{ function: PARIS_CALL }] },
        { role: 'tool', content: 'Sunny', tool_name: 'get_weather' },
        { role: 'user', content: 'And Rome and Oslo?' },
        // Call ids and tool_call_id are newer Ollama's than the client's types (0.6): `as never` lets them through.
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { function: { name: 'get_weather', arguments: { city: 'Rome' } } },
            { id: 'oslo', function: { name: 'get_weather', arguments: { city: 'Oslo' } } },
          ] as never,
        },
        { role: 'tool', content: 'Snow', tool_call_id: 'oslo' } as never,
        { role: 'tool', content: result },
      ],
    });
    expect(response.message).toEqual({ role: 'assistant', content: `echo: ${result}` });
    expect(assignedChat(chatTab, result)?.messages).toEqual([
      { role: 'user', content: WEATHER_QUESTION },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', content: 'Sunny', toolCallId: 'call_0' },
      { role: 'user', content: 'And Rome and Oslo?' },
      {
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [
          { id: 'call_1', name: 'get_weather', arguments: '{"city":"Rome"}' },
          { id: 'oslo', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        ],
      },
      { role: 'tool', content: 'Snow', toolCallId: 'oslo' },
      { role: 'tool', content: result, toolCallId: 'call_1' },
    ]);
  });

  it('generates from a prompt and a system prompt, streaming and not', async () => {
    const whole = await ollama.generate({ model: TINY_GPT2_ID, prompt: 'complete this', system: 'You complete.' });
    ollamaGenerateResponseSchema.parse(whole);
    expect(whole.response).toBe('echo: complete this');
    expect(whole.done).toBe(true);
    const stream = await ollama.generate({ model: TINY_GPT2_ID, prompt: 'and stream it', stream: true });
    let text = '';
    let last;
    for await (const part of stream) {
      text += part.response;
      last = part;
    }
    expect(text).toBe('echo: and stream it');
    expect(last?.done).toBe(true);
  });

  it('embeds a string and a batch', async () => {
    const one = await ollama.embed({ model: TINY_BERT_ID, input: 'abc' });
    expect(one.embeddings).toHaveLength(1);
    one.embeddings[0]?.forEach((value, i) => expect(value).toBeCloseTo(vectorFor('abc')[i] ?? NaN, 6));
    const batch = await ollama.embed({ model: TINY_BERT_ID, input: ['a', 'bb'] });
    expect(batch.embeddings).toHaveLength(2);
  });

  it('lists the models a connected tab serves, and only those', async () => {
    const { models } = await ollama.list();
    expect(models.map((model) => model.name).sort()).toEqual([TINY_BERT_ID, TINY_CHAT_ID, TINY_GPT2_ID].sort());
  });

  it("shows a catalog model's details, context length and capabilities, served now or not; an unknown one is Ollama's 404", async () => {
    const chat = await ollama.show({ model: TINY_GPT2_ID });
    ollamaShowResponseSchema.strict().parse(chat);
    const gpt2 = findModel(MODEL_CATALOG, TINY_GPT2_ID);
    expect(chat.capabilities).toEqual(['completion']);
    expect(chat.details).toMatchObject({ format: 'onnx', family: 'text-generation', quantization_level: 'fp32' });
    // Where clients look for the context length: under the architecture `model_info` names.
    const architecture = String(chat.model_info['general.architecture' as keyof typeof chat.model_info]);
    expect(chat.model_info[`${architecture}.context_length` as keyof typeof chat.model_info]).toBe(gpt2?.contextLength);
    const { models } = await ollama.list();
    expect(chat.details).toEqual(models.find((model) => model.name === TINY_GPT2_ID)?.details);

    // `tools` where /api/chat takes them: a tool format, and an engine whose token ids guards replay.
    expect((await ollama.show({ model: TINY_CHAT_ID })).capabilities).toEqual(['completion', 'tools']);
    expect((await ollama.show({ model: 'onnx-community/Qwen2.5-0.5B-Instruct' })).capabilities).toEqual(['completion', 'tools']);
    expect((await ollama.show({ model: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC' })).capabilities).toEqual(['completion']);

    const embed = await ollama.show({ model: `${TINY_BERT_ID}:latest` });
    expect(embed.capabilities).toEqual(['embedding']);
    expect(embed.model_info['text-generation.context_length' as keyof typeof embed.model_info]).toBeUndefined();
    expect(embed.model_info['feature-extraction.embedding_length' as keyof typeof embed.model_info]).toBe(
      findModel(MODEL_CATALOG, TINY_BERT_ID)?.embeddingDimensions,
    );
    // A catalog model no tab serves has details all the same; older clients name it `name`.
    const byName = await fetch(`${server.url}/api/show`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'onnx-community/Qwen2.5-0.5B-Instruct' }),
    });
    expect(byName.status).toBe(200);
    expect(ollamaShowResponseSchema.parse(await byName.json()).model_info).toMatchObject({ 'text-generation.context_length': 32_768 });

    const before = await submitted(server);
    await expect(ollama.show({ model: 'no-such-model' })).rejects.toMatchObject({
      name: 'ResponseError',
      status_code: 404,
      error: "model 'no-such-model' not found",
    });
    // As `curl -d` sends it (form-encoded), which Ollama reads as JSON.
    const raw = await fetch(`${server.url}/api/show`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ model: 'nope:latest' }),
    });
    expect({ status: raw.status, body: await raw.json() }).toEqual({ status: 404, body: { error: "model 'nope:latest' not found" } });
    expect(await submitted(server)).toBe(before);
  });

  it('cancels the task when a streaming caller leaves (the client aborts)', async () => {
    const stream = await ollama.chat({ model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'wait [silent]' }], stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next(); // a keep-alive: an empty piece, not done
    expect(first.value).toMatchObject({ done: false, message: { content: '' } });
    stream.abort();
    const assign = await eventually(
      () =>
        tab.received.flatMap((m) =>
          m.event === 'task:assign' && m.payload.task.kind === 'chat' && m.payload.task.messages[0]?.content === 'wait [silent]'
            ? [m.payload]
            : [],
        )[0],
    );
    await eventually(() => (cancelsFor(tab, assign.taskId).length === 1 ? true : undefined), 3000, 'task:cancel');
    expect(assignsFor(tab, assign.taskId)).toHaveLength(1);
  });

  it('raises errors in Ollama shape through the client', async () => {
    await expect(ollama.chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      name: 'ResponseError',
      status_code: 404,
    });
    await expect(ollama.generate({ model: 'onnx-community/Qwen2.5-0.5B-Instruct', prompt: 'x' })).rejects.toMatchObject({
      status_code: 503,
    });
  });

  it('refuses malformed and unservable bodies with a clear 4xx in Ollama shape, storing no task', async () => {
    const before = await submitted(server);
    const chat = { model: TINY_GPT2_ID, messages: [{ role: 'user', content: 'hi' }], stream: false };
    const tinyChat = { ...chat, model: TINY_CHAT_ID };
    const withCall = (call: unknown) => ({ ...tinyChat, messages: [{ role: 'assistant', content: '', tool_calls: [{ function: call }] }] });
    const cases: Array<{ path: string; body: unknown; status: number; mentions: string }> = [
      { path: '/api/chat', body: { model: TINY_GPT2_ID }, status: 400, mentions: 'messages' },
      { path: '/api/chat', body: { ...chat, messages: [{ role: 'robot', content: 'x' }] }, status: 400, mentions: 'role' },
      { path: '/api/chat', body: { ...chat, options: { temperature: 'hot' } }, status: 400, mentions: 'temperature' },
      // Tools for a model without a tool format, malformed tools and calls, calls where no call can be.
      { path: '/api/chat', body: { ...chat, tools: [{ type: 'function', function: { name: 'f' } }] }, status: 400, mentions: 'tools' },
      {
        path: '/api/chat',
        body: { ...tinyChat, tools: [{ type: 'function', function: { name: 'not a name!' } }] },
        status: 400,
        mentions: 'tools',
      },
      { path: '/api/chat', body: { ...tinyChat, tools: [{ type: 'retrieval', function: { name: 'f' } }] }, status: 400, mentions: 'tools' },
      {
        path: '/api/chat',
        body: { ...tinyChat, tools: [{ ...WEATHER_TOOL, function: { name: 'f', parameters: 'x' } }] },
        status: 400,
        mentions: 'tools',
      },
      { path: '/api/chat', body: { ...tinyChat, tools: [WEATHER_TOOL, WEATHER_TOOL] }, status: 400, mentions: 'tools' },
      { path: '/api/chat', body: { ...tinyChat, tools: [WEATHER_TOOL], format: 'json' }, status: 400, mentions: 'format' },
      {
        path: '/api/chat',
        body: { ...chat, model: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC', tools: [WEATHER_TOOL] },
        status: 400,
        mentions: 'tools',
      },
      { path: '/api/chat', body: withCall({ name: 'get_weather', arguments: '{"city": "Paris"}' }), status: 400, mentions: 'tool_calls' },
      { path: '/api/chat', body: withCall({ name: 'get_weather' }), status: 400, mentions: 'tool_calls' },
      { path: '/api/chat', body: withCall({ name: 'no name', arguments: {} }), status: 400, mentions: 'tool_calls' },
      {
        path: '/api/chat',
        body: { ...tinyChat, messages: [{ role: 'user', content: 'x', tool_calls: [{ function: PARIS_CALL }] }] },
        status: 400,
        mentions: 'tool_calls',
      },
      { path: '/api/generate', body: { model: TINY_CHAT_ID, prompt: 'x', tools: [WEATHER_TOOL] }, status: 400, mentions: '/api/chat' },
      { path: '/api/chat', body: { ...chat, format: 'xml' }, status: 400, mentions: 'format' },
      { path: '/api/chat', body: { ...chat, format: ['json'] }, status: 400, mentions: 'format' },
      {
        path: '/api/chat',
        body: { ...chat, model: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC', format: 'json' },
        status: 400,
        mentions: 'format',
      },
      {
        path: '/api/chat',
        body: { ...chat, messages: [{ role: 'user', content: 'x', images: ['AA=='] }] },
        status: 400,
        mentions: 'images',
      },
      { path: '/api/chat', body: { ...chat, model: TINY_BERT_ID }, status: 400, mentions: 'feature-extraction' },
      { path: '/api/generate', body: { model: TINY_GPT2_ID }, status: 400, mentions: 'prompt' },
      { path: '/api/generate', body: { model: TINY_GPT2_ID, prompt: 'x', raw: true }, status: 400, mentions: 'raw' },
      { path: '/api/generate', body: { model: TINY_GPT2_ID, prompt: 'x', context: [1, 2] }, status: 400, mentions: 'context' },
      { path: '/api/generate', body: { model: TINY_GPT2_ID, prompt: 'x', suffix: 'y' }, status: 400, mentions: 'suffix' },
      { path: '/api/embed', body: { model: TINY_BERT_ID, input: [1, 2] }, status: 400, mentions: 'input' },
      { path: '/api/embed', body: { model: TINY_GPT2_ID, input: 'x' }, status: 400, mentions: 'embedding model' },
      { path: '/api/embed', body: { model: 'nope', input: 'x' }, status: 404, mentions: 'nope' },
      { path: '/api/chat', body: '{"model": ', status: 400, mentions: 'JSON' },
      { path: '/api/show', body: {}, status: 400, mentions: 'model' },
      { path: '/api/show', body: { model: 7 }, status: 400, mentions: 'model' },
      { path: '/api/show', body: { name: ['x'] }, status: 400, mentions: 'name' },
      { path: '/api/show', body: { model: 'x'.repeat(201) }, status: 400, mentions: 'model' },
      { path: '/api/show', body: { model: TINY_GPT2_ID, verbose: 'yes' }, status: 400, mentions: 'verbose' },
      { path: '/api/show', body: '[1]', status: 400, mentions: 'body' },
    ];
    for (const { path, body, status, mentions } of cases) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect({ path, status: response.status }).toEqual({ path, status });
      expect(ollamaErrorBodySchema.strict().parse(await response.json()).error).toContain(mentions);
    }
    expect(await submitted(server)).toBe(before);
    // The native routes beside them still answer in their own shape.
    expect((await fetch(`${server.url}/api/v1/tasks/nope`)).status).toBe(404);
  });
});
