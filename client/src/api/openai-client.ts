import { chatCompletionChunkSchema, modelListSchema, openAIErrorBodySchema } from '@tessera/shared';
import type { ChatCompletionRequest, CompletionUsage, FinishReason, ModelObject } from '@tessera/shared';
import { ApiError, apiErrorFromResponse } from './api-error.ts';
import { SseDecoder } from './sse-decoder.ts';

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface OpenAIClientOptions {
  /** Coordinator origin; requests go to `${origin}/v1/...`. */
  origin: string;
  fetch?: Fetch;
}

export interface StreamChatOptions {
  onDelta: (delta: string) => void;
  signal?: AbortSignal;
}

export interface StreamedChat {
  text: string;
  finishReason: FinishReason | null;
  usage: CompletionUsage | null;
  /** Milliseconds from sending the request to the first content delta. */
  firstDeltaMs: number | null;
}

/** The coordinator's OpenAI-compatible API, as the playground uses it; every body is schema-parsed. */
export class OpenAIClient {
  readonly #origin: string;
  readonly #fetch: Fetch;

  constructor(options: OpenAIClientOptions) {
    this.#origin = options.origin;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async listModels(signal?: AbortSignal): Promise<ModelObject[]> {
    const response = await this.#fetch(`${this.#origin}/v1/models`, { signal: signal ?? null });
    if (!response.ok) throw await apiErrorFromResponse(response);
    const body = modelListSchema.safeParse(await response.json());
    if (!body.success) throw new ApiError(response.status, 'GET /v1/models answered with an unexpected body.');
    return body.data.data;
  }

  /** `POST /v1/chat/completions` with `stream: true`; resolves when the stream ends with `[DONE]`. */
  async streamChat(request: Omit<ChatCompletionRequest, 'stream'>, options: StreamChatOptions): Promise<StreamedChat> {
    const started = performance.now();
    const response = await this.#fetch(`${this.#origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
      signal: options.signal ?? null,
    });
    if (!response.ok) throw await apiErrorFromResponse(response);
    if (response.body === null) throw new ApiError(response.status, 'The completion stream has no body.');

    const result: StreamedChat = { text: '', finishReason: null, usage: null, firstDeltaMs: null };
    const decoder = new SseDecoder();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let done = false;
    const handle = (data: string): void => {
      if (data === '[DONE]') {
        done = true;
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new ApiError(response.status, `The stream sent an event that is not JSON: ${data.slice(0, 100)}`);
      }
      const chunk = chatCompletionChunkSchema.safeParse(json);
      if (!chunk.success) {
        // A failure after the stream started arrives as an OpenAI error body inside the stream.
        const error = openAIErrorBodySchema.safeParse(json);
        if (error.success) throw new ApiError(response.status, error.data.error.message, error.data.error);
        throw new ApiError(response.status, 'The stream sent a chunk of an unexpected shape.');
      }
      for (const choice of chunk.data.choices) {
        const delta = choice.delta.content;
        if (delta) {
          result.firstDeltaMs ??= performance.now() - started;
          result.text += delta;
          options.onDelta(delta);
        }
        if (choice.finish_reason !== null) result.finishReason = choice.finish_reason;
      }
      if (chunk.data.usage) result.usage = chunk.data.usage;
    };
    try {
      while (!done) {
        const { value, done: streamEnded } = await reader.read();
        if (streamEnded) {
          for (const data of decoder.end()) handle(data);
          break;
        }
        for (const data of decoder.push(value)) if (!done) handle(data);
      }
    } finally {
      reader.releaseLock();
      if (done) await response.body.cancel().catch(() => undefined);
    }
    if (!done) throw new ApiError(response.status, 'The completion stream ended before [DONE].');
    return result;
  }
}
