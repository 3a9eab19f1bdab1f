import { anthropicErrorBody, anthropicMessageSchema, anthropicMessagesRequestSchema } from '@tessera/shared';
import type { AnthropicStreamEvent, ModelCatalogEntry } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { installOpenAIErrorHandler } from '../http/openai-error-handler.ts';
import { anthropicMessage, anthropicRequestToSpec, anthropicUsage } from './anthropic-mapping.ts';
import { anthropicAnswer } from './anthropic-tools-mapping.ts';
import { AnthropicContentStream } from './anthropic-tools-stream.ts';
import { roomForBody } from './room-for-body.ts';
import { requireChatResult, sseEvent, streamTaskText } from './stream-task-text.ts';
import { submitApiTask, succeededTask, type ApiTaskOptions } from './submit-api-task.ts';
import { VERIFICATION_HEADER } from './verification-header.ts';

export interface AnthropicMessagesOptions extends ApiTaskOptions {
  catalog: readonly ModelCatalogEntry[];
  /** How often a waiting stream gets a `ping` event. */
  keepAliveMs: number;
}

const event = (data: AnthropicStreamEvent): string => sseEvent(data.type, data);

/**
 * Anthropic's `POST /v1/messages` on the chat task, for clients built on Anthropic's SDK (and peers such as
 * exo that speak it). Its errors, validation's included, are in Anthropic's shape: the handler is this plugin's.
 */
export const anthropicMessagesRoute: FastifyPluginAsync<AnthropicMessagesOptions> = async (app, context) => {
  installOpenAIErrorHandler(app, anthropicErrorBody);
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/messages',
    {
      onRequest: roomForBody(context.tasks),
      schema: {
        tags: ['Anthropic'],
        summary: 'Create a message (Anthropic Messages API); `stream: true` answers with its server-sent events',
        body: anthropicMessagesRequestSchema,
        response: { 200: anthropicMessageSchema },
      },
    },
    async (request, reply) => {
      const spec = anthropicRequestToSpec(context.catalog, request.body);
      const submitted = submitApiTask(context, request, reply, { api: 'chat.completion', spec });
      const { record } = submitted;
      if (request.body.stream !== true) {
        const done = await succeededTask(context, submitted);
        if (done === undefined) return reply;
        const result = requireChatResult(done);
        return reply.header('x-tessera-task-id', record.id).header(VERIFICATION_HEADER, result.check).send(anthropicMessage(done, result));
      }
      const content = new AnthropicContentStream(spec, event);
      return streamTaskText(
        context.tasks,
        reply,
        submitted,
        {
          contentType: 'text/event-stream; charset=utf-8',
          open: () => event({ type: 'message_start', message: anthropicMessage(record) }) + content.open(),
          delta: (text) => content.delta(text),
          done: (result) => {
            const answer = anthropicAnswer(record.id, spec, result);
            return (
              content.done(answer) +
              event({
                type: 'message_delta',
                delta: { stop_reason: answer.stopReason, stop_sequence: null },
                usage: anthropicUsage(result),
                tessera: { verification: result.check },
              }) +
              event({ type: 'message_stop' })
            );
          },
          error: (error) => event({ type: 'error', error: anthropicErrorBody(error.code, error.message).error }),
          // Anthropic's own keep-alive: its SDK skips pings.
          keepAlive: () => event({ type: 'ping' }),
        },
        context.keepAliveMs,
      );
    },
  );
};
