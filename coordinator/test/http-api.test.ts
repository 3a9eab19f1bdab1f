import {
  TINY_BERT_ID,
  TINY_GPT2_ID,
  createdTaskViewSchema,
  decodeEmbeddingBase64,
  openAIErrorBodySchema,
  taskViewSchema,
} from '@tessera/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerHonestly, echoText, vectorFor } from './support/honest-answers.ts';
import { ScriptedTab, loaded } from './support/scripted-tab.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const chatBody = (content: string, extra: Record<string, unknown> = {}) => ({
  model: TINY_GPT2_ID,
  messages: [{ role: 'user', content }],
  temperature: 0,
  ...extra,
});

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Response> {
  return fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('OpenAI-compatible API with a scripted tab', () => {
  let server: TestApp;
  let tab: ScriptedTab;

  beforeAll(async () => {
    server = await startTestApp({ bodyLimitBytes: 64 * 1024 });
    tab = new ScriptedTab({ url: server.url, models: [loaded(TINY_GPT2_ID), loaded(TINY_BERT_ID)], onAssign: answerHonestly });
    await tab.ready();
  });
  afterAll(async () => {
    tab.close();
    await server.close();
  });

  it('answers a chat completion with the tab result and usage', async () => {
    const response = await post(`${server.url}/v1/chat/completions`, chatBody('hello there'));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].message.content).toBe('echo: hello there');
    expect(body.choices[0].finish_reason).toBe('stop');
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(response.headers.get('x-tessera-task-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('streams a chat completion as server-sent events ending in [DONE]', async () => {
    const response = await post(
      `${server.url}/v1/chat/completions`,
      chatBody('one two three', { stream: true, stream_options: { include_usage: true } }),
    );
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await response.text())
      .split('\n\n')
      .filter(Boolean)
      .map((line) => line.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('echo: one two three');
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
  });

  it('embeds a string and an array, in float and base64 encodings', async () => {
    const single = await (await post(`${server.url}/v1/embeddings`, { model: TINY_BERT_ID, input: 'abc' })).json();
    expect(single.data).toHaveLength(1);
    expect(single.data[0].embedding[0]).toBeCloseTo(vectorFor('abc')[0] ?? NaN, 6);
    const batch = await (
      await post(`${server.url}/v1/embeddings`, { model: TINY_BERT_ID, input: ['a', 'bb'], encoding_format: 'base64' })
    ).json();
    expect(batch.data.map((item: { index: number }) => item.index)).toEqual([0, 1]);
    const decoded = decodeEmbeddingBase64(batch.data[1].embedding);
    vectorFor('bb').forEach((value, i) => expect(decoded[i]).toBeCloseTo(value, 6));
  });

  it('runs native async tasks: 202, poll, result', async () => {
    const response = await post(`${server.url}/api/v1/tasks`, { type: 'chat.completion', request: chatBody('async') });
    expect(response.status).toBe(202);
    const created = createdTaskViewSchema.parse(await response.json());
    const view = taskViewSchema.parse(created);
    let polled = view;
    for (let i = 0; i < 100 && polled.status !== 'succeeded'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      polled = taskViewSchema.parse(await (await fetch(`${server.url}/api/v1/tasks/${view.id}`)).json());
    }
    expect(polled.status).toBe('succeeded');
    expect(polled.result && 'choices' in polled.result ? polled.result.choices[0]?.message.content : null).toBe('echo: async');
    const cancelFinished = await fetch(`${server.url}/api/v1/tasks/${view.id}`, {
      method: 'DELETE',
      headers: { 'x-tessera-cancel-token': created.cancel_token },
    });
    expect(cancelFinished.status).toBe(409);
    expect(openAIErrorBodySchema.parse(await cancelFinished.json()).error.code).toBe('task_already_finished');
  });

  it('lists catalog models with the number of tabs serving each', async () => {
    const list = await (await fetch(`${server.url}/v1/models`)).json();
    const gpt2 = list.data.find((model: { id: string }) => model.id === TINY_GPT2_ID);
    expect(gpt2.online_workers).toBe(1);
    const hub = list.data.find((model: { id: string }) => model.id === 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC');
    expect(hub.online_workers).toBe(0);
    const one = await (await fetch(`${server.url}/v1/models/${TINY_GPT2_ID}`)).json();
    expect(one.id).toBe(TINY_GPT2_ID);
  });

  it('reports the network: nodes, completed work and throughput', async () => {
    const snapshot = await (await fetch(`${server.url}/api/v1/network`)).json();
    expect(snapshot.nodes).toHaveLength(1);
    expect(snapshot.nodes[0].completedTasks).toBeGreaterThan(0);
    expect(snapshot.totals.succeeded).toBeGreaterThan(0);
    expect(snapshot.throughput.tasksPerMinute).toBeGreaterThan(0);
  });

  it('serves health, Prometheus metrics and the OpenAPI document', async () => {
    expect((await (await fetch(`${server.url}/healthz`)).json()).status).toBe('ok');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/tessera_tasks_finished_total\{status="succeeded"[^}]*\} [1-9]/);
    const openapi = await (await fetch(`${server.url}/docs/json`)).json();
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/chat/completions', '/v1/embeddings', '/api/v1/tasks']));
  });

  describe('bad input gets an OpenAI error and changes no state', () => {
    const cases: Array<[string, () => Promise<Response>, number, string, string | null]> = [
      ['malformed JSON', () => post(`${server.url}/v1/chat/completions`, '{"model": '), 400, 'invalid_json', null],
      [
        'wrong type',
        () => post(`${server.url}/v1/chat/completions`, { model: TINY_GPT2_ID, messages: 'hi' }),
        400,
        'invalid_request',
        'messages',
      ],
      [
        'missing field',
        () => post(`${server.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }] }),
        400,
        'invalid_request',
        'model',
      ],
      [
        'out of range',
        () => post(`${server.url}/v1/chat/completions`, chatBody('x', { temperature: 9 })),
        400,
        'invalid_request',
        'temperature',
      ],
      [
        'unknown model',
        () => post(`${server.url}/v1/chat/completions`, { ...chatBody('x'), model: 'no/such-model' }),
        404,
        'model_not_found',
        'model',
      ],
      [
        'wrong kind of model',
        () => post(`${server.url}/v1/embeddings`, { model: TINY_GPT2_ID, input: 'x' }),
        400,
        'model_kind_mismatch',
        'model',
      ],
      ['n above 8', () => post(`${server.url}/v1/chat/completions`, chatBody('x', { n: 9 })), 400, 'unsupported_parameter', 'n'],
      [
        'body over the limit',
        () => post(`${server.url}/v1/chat/completions`, chatBody('x'.repeat(70 * 1024))),
        413,
        'body_too_large',
        null,
      ],
      [
        'not JSON',
        () => post(`${server.url}/v1/chat/completions`, 'hello', { 'content-type': 'text/plain' }),
        415,
        'unsupported_media_type',
        null,
      ],
      [
        'empty embedding input',
        () => post(`${server.url}/v1/embeddings`, { model: TINY_BERT_ID, input: [] }),
        400,
        'invalid_request',
        'input',
      ],
      ['unknown task id', () => fetch(`${server.url}/api/v1/tasks/not-a-task`), 404, 'task_not_found', 'id'],
      ['unknown route', () => fetch(`${server.url}/v1/engines`), 404, 'route_not_found', null],
    ];
    it.each(cases)('%s', async (_name, send, status, code, param) => {
      const before = server.app.tessera.store.counts();
      const response = await send();
      expect(response.status).toBe(status);
      const body = openAIErrorBodySchema.parse(await response.json());
      expect(body.error.code).toBe(code);
      expect(body.error.param).toBe(param);
      expect(body.error.message.length).toBeGreaterThan(10);
      expect(server.app.tessera.store.counts()).toEqual(before);
    });
  });

  it('echo helper matches what the tab says (guards the fixtures themselves)', () => {
    expect(
      echoText({
        taskId: '00000000-0000-4000-8000-000000000000' as never,
        leaseMs: 100,
        attempt: 1,
        task: {
          kind: 'chat',
          model: 'm',
          messages: [{ role: 'user', content: 'x' }],
          params: { maxTokens: 1, temperature: 0, topP: 1, seed: null, stop: [] },
        },
      }),
    ).toBe('echo: x');
  });
});

describe('rate limiting', () => {
  it('answers 429 in the OpenAI shape past the per-minute limit', async () => {
    const server = await startTestApp({ rateLimitPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${server.url}/v1/models`)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const body = openAIErrorBodySchema.parse(await (await fetch(`${server.url}/v1/models`)).json());
      expect(body.error.code).toBe('rate_limited');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
