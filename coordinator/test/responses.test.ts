import {
  TINY_BERT_ID,
  TINY_GPT2_ID,
  createApiKeyRequestSchema,
  openAIErrorBodySchema,
  responseDeletedSchema,
  responseObjectSchema,
  responseStreamEventSchema,
} from '@tessera/shared';
import type { TaskAssign } from '@tessera/shared';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/cleanup.ts';
import { answerHonestly, echoText } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { assignsFor, cancelsFor, metric } from './support/task-observations.ts';
import { eventually, startTestApp, type TestApp } from './support/test-app.ts';
import { chatOutput } from './support/tiny-tokens.ts';

const SUBMITTED = 'tessera_tasks_submitted_total{kind="chat"}';
const track = closeAfterEach();

/** Honest, except: a prompt ending in "[length]" is cut at its limit, one containing "[silent]" is never answered. */
function answer(assign: TaskAssign, tab: ScriptedTab): void {
  if (assign.task.kind !== 'chat') return answerHonestly(assign, tab);
  const last = assign.task.messages.at(-1)?.content ?? '';
  if (last.includes('[silent]')) return void tab.socket.emit('task:accept', { taskId: assign.taskId });
  if (!last.endsWith('[length]')) return answerHonestly(assign, tab);
  tab.socket.emit('task:accept', { taskId: assign.taskId });
  const output = chatOutput(echoText(assign), 'length');
  tab.sendResult(assign.taskId, output, { promptTokens: 3, completionTokens: output.tokenIds.length });
}

async function serving(dataDir?: string): Promise<{ server: TestApp; tab: ScriptedTab; client: OpenAI }> {
  const server = track(await startTestApp({ keepAliveMs: 50 }, dataDir));
  const tab = track(new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)], onAssign: answer }));
  await tab.ready();
  return { server, tab, client: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 }) };
}

const taskOf = (tab: ScriptedTab, responseId: string) => assignsFor(tab, responseId.slice('resp_'.length) as TaskAssign['taskId'])[0]?.task;

describe('OpenAI Responses API (POST /v1/responses) with the official openai client', () => {
  it('answers text input with instructions, max_output_tokens and temperature, and a message list', async () => {
    const { tab, client } = await serving();
    const response = await client.responses.create({
      model: TINY_GPT2_ID,
      input: 'hello responses',
      instructions: 'Answer briefly.',
      max_output_tokens: 48,
      temperature: 0,
    });
    responseObjectSchema.parse(response);
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('echo: hello responses');
    expect(response.usage?.total_tokens).toBe((response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0));
    expect(taskOf(tab, response.id)).toMatchObject({
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'hello responses' },
      ],
      params: { maxTokens: 48, temperature: 0 },
    });
    const listed = await client.responses.create({
      model: TINY_GPT2_ID,
      input: [
        { role: 'developer', content: 'Be kind.' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'from ' },
            { type: 'input_text', text: 'parts' },
          ],
        },
      ],
    });
    expect(listed.output_text).toBe('echo: from parts');
    expect(taskOf(tab, listed.id)?.kind === 'chat' ? taskOf(tab, listed.id) : null).toMatchObject({
      messages: [
        { role: 'developer', content: 'Be kind.' },
        { role: 'user', content: 'from parts' },
      ],
    });
  });

  it('continues a conversation from previous_response_id, across a coordinator restart; store: false keeps nothing', async () => {
    const first = await serving();
    const opening = await first.client.responses.create({ model: TINY_GPT2_ID, input: 'first turn', instructions: 'Only for the first.' });
    const dataDir = first.server.dataDir;
    first.tab.close();
    await first.server.app.close();

    const second = await serving(dataDir);
    expect(await second.client.responses.retrieve(opening.id)).toEqual(opening);
    const followUp = await second.client.responses.create({ model: TINY_GPT2_ID, input: 'second turn', previous_response_id: opening.id });
    expect(followUp.output_text).toBe('echo: second turn');
    expect(followUp.previous_response_id).toBe(opening.id);
    // Instructions are not inherited: the follow-up's task is the conversation and the new input.
    expect(taskOf(second.tab, followUp.id)).toMatchObject({
      messages: [
        { role: 'user', content: 'first turn' },
        { role: 'assistant', content: 'echo: first turn' },
        { role: 'user', content: 'second turn' },
      ],
    });
    const third = await second.client.responses.create({ model: TINY_GPT2_ID, input: 'third turn', previous_response_id: followUp.id });
    expect(taskOf(second.tab, third.id)?.kind === 'chat' ? taskOf(second.tab, third.id) : null).toMatchObject({
      messages: [
        { content: 'first turn' },
        { content: 'echo: first turn' },
        { content: 'second turn' },
        { content: 'echo: second turn' },
        { content: 'third turn' },
      ],
    });

    const unstored = await second.client.responses.create({ model: TINY_GPT2_ID, input: 'forget me', store: false });
    const before = await metric(second.server, SUBMITTED);
    await expect(second.client.responses.retrieve(unstored.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const missing = second.client.responses.create({ model: TINY_GPT2_ID, input: 'x', previous_response_id: unstored.id });
    await expect(missing).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'response_not_found', param: 'previous_response_id' });
    expect(await metric(second.server, SUBMITTED)).toBe(before);
  });

  it('streams the Responses events in order, which the SDK assembles; a follow-up continues a streamed response', async () => {
    const { tab, client } = await serving();
    const stream = await client.responses.create({ model: TINY_GPT2_ID, input: 'one two three', stream: true });
    const types: string[] = [];
    let text = '';
    let id = '';
    for await (const event of stream) {
      responseStreamEventSchema.parse(event);
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') id = event.response.id;
    }
    expect(text).toBe('echo: one two three');
    expect(types.filter((type, index) => type !== types[index - 1])).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const helper = client.responses.stream({ model: TINY_GPT2_ID, input: 'and again', previous_response_id: id });
    const final = await helper.finalResponse();
    expect(final.output_text).toBe('echo: and again');
    expect(taskOf(tab, final.id)).toMatchObject({
      messages: [{ content: 'one two three' }, { content: 'echo: one two three' }, { content: 'and again' }],
    });
  });

  it('says incomplete (max_output_tokens) when the answer was cut at the limit', async () => {
    const { client } = await serving();
    const prompt = 'cut me [length]';
    const tokens = chatOutput(`echo: ${prompt}`).tokenIds.length;
    const response = await client.responses.create({ model: TINY_GPT2_ID, input: prompt, max_output_tokens: tokens });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('keeps a waiting stream alive, cancels its task when the caller leaves, and replays a retry with the same Idempotency-Key', async () => {
    const { server, tab, client } = await serving();
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_GPT2_ID, input: 'wait [silent]', stream: true }),
      signal: controller.signal,
    });
    const taskId = response.headers.get('x-tessera-task-id') as TaskAssign['taskId'];
    const reader = response.body?.getReader();
    let seen = '';
    while (!seen.includes(': keep-alive')) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) break;
      seen += new TextDecoder().decode(chunk.value);
    }
    expect(seen).toContain('event: response.created');
    controller.abort();
    await eventually(() => (cancelsFor(tab, taskId).length === 1 ? true : undefined), 3000, 'task:cancel');

    const before = await metric(server, SUBMITTED);
    const options = { headers: { 'Idempotency-Key': 'responses-retry-1' } };
    const first = await client.responses.create({ model: TINY_GPT2_ID, input: 'only once' }, options);
    const again = await client.responses.create({ model: TINY_GPT2_ID, input: 'only once' }, options);
    expect(again.id).toBe(first.id);
    expect(await metric(server, SUBMITTED)).toBe(before + 1);
  });

  it('refuses what a stateless text server cannot serve, and malformed bodies, with 400s naming the field, storing no task', async () => {
    // Function tools are refused for a model without a tool format (the tiny GPT-2); e2e/tools-structured-output.test.ts
    // runs them on the tiny chat model, and text.format json_schema too.
    const { server } = await serving();
    const before = await metric(server, SUBMITTED);
    const base = { model: TINY_GPT2_ID, input: 'hi' };
    const image = { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' };
    const cases: Array<{ body: unknown; status: number; code: string; param: string | null }> = [
      { body: { model: TINY_GPT2_ID }, status: 400, code: 'invalid_request', param: 'input' },
      { body: { ...base, input: '' }, status: 400, code: 'invalid_request', param: 'input' },
      { body: { ...base, max_output_tokens: 0 }, status: 400, code: 'invalid_request', param: 'max_output_tokens' },
      { body: { ...base, temperature: 3 }, status: 400, code: 'invalid_request', param: 'temperature' },
      {
        body: { ...base, tools: [{ type: 'function', name: 'f', parameters: {} }] },
        status: 400,
        code: 'unsupported_parameter',
        param: 'tools',
      },
      { body: { ...base, tools: [{ type: 'web_search' }] }, status: 400, code: 'unsupported_parameter', param: 'tools.0.type' },
      { body: { ...base, tool_choice: 'required' }, status: 400, code: 'invalid_request', param: 'tool_choice' },
      { body: { ...base, tool_choice: { type: 'file_search' } }, status: 400, code: 'unsupported_parameter', param: 'tool_choice' },
      {
        body: { ...base, input: [{ type: 'item_reference', id: 'msg_1' }] },
        status: 400,
        code: 'unsupported_parameter',
        param: 'input.0.type',
      },
      {
        body: { ...base, text: { format: { type: 'json_schema', name: 'x' } } },
        status: 400,
        code: 'invalid_request',
        param: 'text.format.schema',
      },
      {
        body: { ...base, input: [{ role: 'user', content: [image] }] },
        status: 400,
        code: 'unsupported_parameter',
        param: 'input.0.content.0.type',
      },
      {
        body: { ...base, input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
        status: 400,
        code: 'unsupported_parameter',
        param: 'input.0.content.0.type',
      },
      {
        body: { ...base, model: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC', text: { format: { type: 'json_schema', name: 'x', schema: {} } } },
        status: 400,
        code: 'unsupported_parameter',
        param: 'text.format',
      },
      { body: { ...base, background: true }, status: 400, code: 'unsupported_parameter', param: 'background' },
      { body: { ...base, previous_response_id: 'resp_unknown' }, status: 404, code: 'response_not_found', param: 'previous_response_id' },
      { body: { ...base, model: TINY_BERT_ID }, status: 400, code: 'model_kind_mismatch', param: 'model' },
    ];
    for (const { body, status, code, param } of cases) {
      const response = await fetch(`${server.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const error = openAIErrorBodySchema.parse(await response.json()).error;
      expect({ body, status: response.status, code: error.code, param: error.param }).toEqual({ body, status, code, param });
    }
    expect(await metric(server, SUBMITTED)).toBe(before);
  });
  it('retrieves a stored response as POST answered it, streamed or not; deleting it leaves GET and previous_response_id 404', async () => {
    const { server, client } = await serving();
    const created = await client.responses.create({
      model: TINY_GPT2_ID,
      input: 'keep me',
      instructions: 'Briefly.',
      metadata: { a: 'b' },
    });
    const retrieved = await client.responses.retrieve(created.id);
    responseObjectSchema.strict().parse(JSON.parse(JSON.stringify({ ...retrieved, output_text: undefined })));
    expect(retrieved).toEqual(created);
    expect(retrieved.output_text).toBe('echo: keep me');

    const stream = await client.responses.create({ model: TINY_GPT2_ID, input: 'streamed', stream: true });
    let completed: unknown;
    for await (const event of stream) if (event.type === 'response.completed') completed = event.response;
    const streamed = responseObjectSchema.parse(completed);
    expect(responseObjectSchema.parse(await client.responses.retrieve(streamed.id))).toEqual(streamed);

    const before = await metric(server, SUBMITTED);
    const deleted: unknown = await client.responses.delete(created.id);
    expect(responseDeletedSchema.strict().parse(deleted)).toEqual({ id: created.id, object: 'response.deleted', deleted: true });
    const gone = client.responses.retrieve(created.id);
    await expect(gone).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(gone).rejects.toMatchObject({ status: 404, code: 'response_not_found', param: 'response_id' });
    await expect(client.responses.delete(created.id)).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
    const followUp = client.responses.create({ model: TINY_GPT2_ID, input: 'and then?', previous_response_id: created.id });
    await expect(followUp).rejects.toMatchObject({ status: 404, code: 'response_not_found', param: 'previous_response_id' });
    expect(await metric(server, SUBMITTED)).toBe(before);
    // Only that one is gone.
    expect((await client.responses.retrieve(streamed.id)).id).toBe(streamed.id);
  });

  it('keeps a keyed response to its key: another key or an anonymous caller can neither read, continue nor delete it', async () => {
    const { server, client: anonymous } = await serving();
    const { keys } = server.app.tessera;
    const [mine, theirs] = [
      keys.create(createApiKeyRequestSchema.parse({ name: 'mine' })),
      keys.create(createApiKeyRequestSchema.parse({ name: 'theirs' })),
    ];
    const as = (key: string) => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    const owner = as(mine.key);
    const other = as(theirs.key);
    const keyed = await owner.responses.create({ model: TINY_GPT2_ID, input: 'private' });
    for (const stranger of [other, anonymous]) {
      await expect(stranger.responses.retrieve(keyed.id)).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
      await expect(stranger.responses.delete(keyed.id)).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
      const followUp = stranger.responses.create({ model: TINY_GPT2_ID, input: 'x', previous_response_id: keyed.id });
      await expect(followUp).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
    }
    expect(await owner.responses.retrieve(keyed.id)).toEqual(keyed);
    const continued = await owner.responses.create({ model: TINY_GPT2_ID, input: 'mine', previous_response_id: keyed.id });
    expect(continued.previous_response_id).toBe(keyed.id);
    // An anonymous response is anyone's who has its id, as before keys.
    const open = await anonymous.responses.create({ model: TINY_GPT2_ID, input: 'public' });
    expect((await other.responses.retrieve(open.id)).id).toBe(open.id);
    expect(await owner.responses.delete(keyed.id)).toMatchObject({ deleted: true });
    await expect(owner.responses.retrieve(keyed.id)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses malformed retrievals and deletions with 4xx naming the field, and deletes nothing', async () => {
    const { server, client } = await serving();
    const kept = await client.responses.create({ model: TINY_GPT2_ID, input: 'still here' });
    const long = `resp_${'x'.repeat(200)}`;
    const cases: Array<{ method: string; path: string; status: number; code: string; param: string | null }> = [
      { method: 'GET', path: `/v1/responses/${long}`, status: 400, code: 'invalid_request', param: 'response_id' },
      { method: 'DELETE', path: `/v1/responses/${long}`, status: 400, code: 'invalid_request', param: 'response_id' },
      { method: 'GET', path: `/v1/responses/${kept.id}?stream=true`, status: 400, code: 'unsupported_parameter', param: 'stream' },
      { method: 'GET', path: `/v1/responses/${kept.id}?stream=yes`, status: 400, code: 'invalid_request', param: 'stream' },
      { method: 'GET', path: '/v1/responses/resp_unknown', status: 404, code: 'response_not_found', param: 'response_id' },
      { method: 'DELETE', path: '/v1/responses/resp_unknown', status: 404, code: 'response_not_found', param: 'response_id' },
      { method: 'DELETE', path: `/v1/responses/${kept.id.toUpperCase()}`, status: 404, code: 'response_not_found', param: 'response_id' },
    ];
    for (const { method, path, status, code, param } of cases) {
      const response = await fetch(`${server.url}${path}`, { method });
      const error = openAIErrorBodySchema.parse(await response.json()).error;
      expect({ path, status: response.status, code: error.code, param: error.param }).toEqual({ path, status, code, param });
    }
    expect(await client.responses.retrieve(kept.id)).toEqual(kept);
  });
});
