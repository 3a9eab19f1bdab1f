import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.ts';
import { OpenAIClient } from './openai-client.ts';
import type { Fetch } from './openai-client.ts';

function chunk(content: string | null, finish: 'stop' | 'length' | null = null): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'tessera/tiny-gpt2',
    system_fingerprint: null,
    choices: [{ index: 0, delta: content === null ? {} : { content }, logprobs: null, finish_reason: finish }],
  });
}

function sseResponse(parts: readonly string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

function clientAnswering(response: () => Response, seen: { url?: string; body?: unknown } = {}): OpenAIClient {
  const fakeFetch: Fetch = async (url, init) => {
    seen.url = url;
    seen.body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    return response();
  };
  return new OpenAIClient({ origin: 'http://coordinator.test', fetch: fakeFetch });
}

const request = { model: 'tessera/tiny-gpt2', messages: [{ role: 'user' as const, content: 'Tessera' }], max_tokens: 40, temperature: 0 };

describe('OpenAIClient.streamChat', () => {
  it('streams deltas in order and returns finish reason and usage', async () => {
    const seen: { url?: string; body?: unknown } = {};
    const usage = { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 };
    const withUsage = JSON.stringify({ ...JSON.parse(chunk(null)), choices: [], usage });
    const client = clientAnswering(
      () =>
        sseResponse([
          `data: ${chunk('Hel')}\n\n`,
          `data: ${chunk('lo')}\n`,
          `\ndata: ${chunk(null, 'stop')}\n\ndata: ${withUsage}\n\ndata: [DONE]\n\n`,
        ]),
      seen,
    );
    const deltas: string[] = [];
    const result = await client.streamChat(request, { onDelta: (delta) => deltas.push(delta) });
    expect(deltas).toEqual(['Hel', 'lo']);
    expect(result).toMatchObject({ text: 'Hello', finishReason: 'stop', usage });
    expect(seen.url).toBe('http://coordinator.test/v1/chat/completions');
    expect(seen.body).toMatchObject({ stream: true, model: 'tessera/tiny-gpt2' });
  });

  it('throws the OpenAI error body of a failed request', async () => {
    const body = { error: { message: 'No such model', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } };
    const client = clientAnswering(() => new Response(JSON.stringify(body), { status: 404 }));
    const failure = client.streamChat(request, { onDelta: () => undefined });
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 404, code: 'model_not_found', message: 'No such model' });
  });

  it('throws an error sent inside the stream', async () => {
    const error = { error: { message: 'Every attempt failed', type: 'server_error', param: null, code: 'attempts_exhausted' } };
    const client = clientAnswering(() => sseResponse([`data: ${chunk('a')}\n\n`, `data: ${JSON.stringify(error)}\n\n`]));
    await expect(client.streamChat(request, { onDelta: () => undefined })).rejects.toMatchObject({ code: 'attempts_exhausted' });
  });

  it('refuses a stream that ends without [DONE]', async () => {
    const client = clientAnswering(() => sseResponse([`data: ${chunk('a')}\n\n`]));
    await expect(client.streamChat(request, { onDelta: () => undefined })).rejects.toThrow(/before \[DONE\]/);
  });
});

describe('OpenAIClient.listModels', () => {
  it('parses the model list', async () => {
    const list = {
      object: 'list',
      data: [
        { id: 'm', object: 'model', created: 1, owned_by: 'tessera', task: 'text-generation', engine: 'transformers', online_workers: 2 },
      ],
    };
    const client = clientAnswering(() => new Response(JSON.stringify(list)));
    expect(await client.listModels()).toEqual(list.data);
  });

  it('reports a non-JSON failure with its status', async () => {
    const client = clientAnswering(() => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(client.listModels()).rejects.toMatchObject({ status: 502 });
  });
});
