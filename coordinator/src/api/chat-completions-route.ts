import { chatCompletionRequestSchema, chatCompletionResponseSchema, openAIErrorBody } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ModelCatalogEntry } from '@tessera/shared';
import { roomForBody } from './room-for-body.ts';
import { VERIFICATION_HEADER } from './verification-header.ts';
import { waitForTask } from '../tasks/wait-for-task.ts';
import { terminalError } from './terminal-error.ts';
import {
  chatAnswer,
  chatChunk,
  chatLogprobs,
  chatRequestToSpec,
  chatResponse,
  fannedOutChatResponse,
  type TokenText,
} from './openai-mapping.ts';
import { ToolCallTextFilter } from './tool-call-parsing.ts';
import { IDEMPOTENT_REPLAYED_HEADER } from './idempotency-keys.ts';
import { submitApiTask, succeededTask, type ApiTaskOptions } from './submit-api-task.ts';

/** What the route needs: the catalog to map requests, and the tasks to submit and wait on. */
export interface ChatCompletionsOptions extends ApiTaskOptions {
  catalog: readonly ModelCatalogEntry[];
  /** How often a waiting stream gets a keep-alive comment. */
  keepAliveMs: number;
  /** Token texts of a model, for log probabilities (null: its tokenizer cannot be loaded now). */
  tokenTexts: (modelId: string) => Promise<TokenText | null>;
}

export const chatCompletionsRoute: FastifyPluginAsync<ChatCompletionsOptions> = async (app, context) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/chat/completions',
    {
      onRequest: roomForBody(context.tasks),
      schema: {
        tags: ['OpenAI'],
        summary: 'Create a chat completion (OpenAI-compatible); `stream: true` answers with server-sent events',
        body: chatCompletionRequestSchema,
        response: { 200: chatCompletionResponseSchema },
      },
    },
    async (request, reply) => {
      const spec = chatRequestToSpec(context.catalog, request.body);
      const choices = request.body.n ?? 1;
      if (choices > 1) {
        // `n`: one task per choice, each placed on its own, so several tabs answer at once.
        const parts = Array.from({ length: choices }, (_, part) =>
          submitApiTask(context, request, reply, { api: 'chat.completion', spec, part }),
        );
        const tokenText = spec.params.topLogprobs === undefined ? null : await context.tokenTexts(spec.model);
        const done = await Promise.all(parts.map((part) => succeededTask(context, part))).catch((error: unknown) => {
          // One choice failed, so the answer has failed: its other tasks need no tab any more.
          for (const part of parts) context.tasks.cancel(part.record.id, 'another choice of the same request failed');
          throw error;
        });
        if (done.some((record) => record === undefined)) return reply;
        const records = done.filter((record) => record !== undefined);
        const response = fannedOutChatResponse(records, tokenText);
        return reply
          .header('x-tessera-task-id', records.map((record) => record.id).join(','))
          .header(VERIFICATION_HEADER, response.tessera?.verification ?? 'unverified')
          .send(response);
      }
      const submitted = submitApiTask(context, request, reply, { api: 'chat.completion', spec });
      const { record, replayed, signal } = submitted;
      const tokenText = spec.params.topLogprobs === undefined ? null : await context.tokenTexts(spec.model);

      if (request.body.stream !== true) {
        const done = await succeededTask(context, submitted);
        if (done === undefined) return reply;
        return reply
          .header('x-tessera-task-id', record.id)
          .header(VERIFICATION_HEADER, done.result?.check ?? 'unverified')
          .send(chatResponse(done, tokenText));
      }

      // Server-sent events, written straight to the socket: fastify's serializer has no place in a stream.
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-tessera-task-id': record.id,
        ...(replayed ? { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } : {}),
      });
      const send = (data: unknown): void => {
        if (!raw.writableEnded) raw.write(`data: ${JSON.stringify(data)}\n\n`);
      };
      send(chatChunk(record, { role: 'assistant', content: '' }, null));
      // A comment line every few seconds while the task waits or runs: proxies and clients that time out an
      // idle stream keep it, and SSE parsers ignore it.
      const keepAlive = setInterval(() => {
        if (!raw.writableEnded) raw.write(': keep-alive\n\n');
      }, context.keepAliveMs);
      let forwarded = '';
      // With tools, text that may be a tool call is held back: calls go out as `tool_calls` once complete.
      const filter = spec.tools === undefined ? null : new ToolCallTextFilter();
      const event = await waitForTask(
        context.tasks,
        record,
        // A replayed task may have streamed part of its text to the first request already: this one gets
        // the whole text at the end, from the result.
        replayed
          ? undefined
          : (delta) => {
              const text = filter === null ? delta : filter.push(delta);
              if (text === '') return;
              forwarded += text;
              send(chatChunk(record, { content: text }, null));
            },
        signal,
      ).finally(() => clearInterval(keepAlive));
      if (event === undefined) return reply;
      if (event.type === 'succeeded' && event.record.result?.output.kind === 'chat') {
        const { usage } = event.record.result;
        const answer = chatAnswer(event.record);
        const content = answer.content ?? '';
        if (content.startsWith(forwarded)) {
          // The tab may send fewer chunks than its final text (or none): the result is authoritative.
          const rest = content.slice(forwarded.length);
          if (rest.length > 0) send(chatChunk(record, { content: rest }, null));
          if (answer.toolCalls.length > 0) {
            const calls = answer.toolCalls.map((call, index) => ({ index, ...call }));
            send(chatChunk(record, { tool_calls: calls }, null));
          }
          // Log probabilities come with the checked result, so they follow the text in one chunk.
          const logprobs = chatLogprobs(event.record, tokenText);
          if (logprobs !== null) send(chatChunk(record, { content: '' }, null, logprobs));
          send({ ...chatChunk(record, {}, answer.finishReason), tessera: { verification: event.record.result.check } });
          if (request.body.stream_options?.include_usage === true) {
            send({
              ...chatChunk(record, {}, null),
              choices: [],
              usage: {
                prompt_tokens: usage.promptTokens,
                completion_tokens: usage.completionTokens,
                total_tokens: usage.promptTokens + usage.completionTokens,
              },
            });
          }
        } else {
          send(
            openAIErrorBody(
              'task_failed',
              'The task was retried on another tab, whose answer differs from the text already streamed. Retry the request.',
            ),
          );
        }
      } else if (event.type !== 'succeeded') {
        const error = terminalError(event);
        send(openAIErrorBody(error.code, error.message));
      }
      raw.end('data: [DONE]\n\n');
      return reply;
    },
  );
};
