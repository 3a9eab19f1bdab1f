import { completionRequestSchema, completionSchema, openAIErrorBody } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { completionObject, completionRequestToSpec } from './completions-mapping.ts';
import { roomForBody } from './room-for-body.ts';
import { requireChatResult, streamTaskText } from './stream-task-text.ts';
import { submitApiTask, succeededTask, type ApiTaskOptions } from './submit-api-task.ts';
import { VERIFICATION_HEADER } from './verification-header.ts';

export interface CompletionsOptions extends ApiTaskOptions {
  catalog: readonly ModelCatalogEntry[];
  /** How often a waiting stream gets a keep-alive comment. */
  keepAliveMs: number;
}

/** OpenAI's legacy `POST /v1/completions` on the chat task (the AI SDK's `openai.completion(id)`, LangChain's `OpenAI`). */
export const completionsRoute: FastifyPluginAsync<CompletionsOptions> = async (app, context) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/completions',
    {
      onRequest: roomForBody(context.tasks),
      schema: {
        tags: ['OpenAI'],
        summary: 'Create a text completion (OpenAI legacy; the prompt runs as one user message); `stream: true` answers with SSE',
        body: completionRequestSchema,
        response: { 200: completionSchema },
      },
    },
    async (request, reply) => {
      const spec = completionRequestToSpec(context.catalog, request.body);
      const submitted = submitApiTask(context, request, reply, { api: 'chat.completion', spec });
      const { record } = submitted;
      if (request.body.stream !== true) {
        const done = await succeededTask(context, submitted);
        if (done === undefined) return reply;
        const result = requireChatResult(done);
        return reply
          .header('x-tessera-task-id', record.id)
          .header(VERIFICATION_HEADER, result.check)
          .send(completionObject(done, result.output.text, result.output.finishReason, result));
      }
      const data = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
      const includeUsage = request.body.stream_options?.include_usage === true;
      return streamTaskText(
        context.tasks,
        reply,
        submitted,
        {
          contentType: 'text/event-stream; charset=utf-8',
          open: () => '',
          delta: (text) => data(completionObject(record, text, null)),
          done: (result) => {
            const { usage, tessera } = completionObject(record, '', result.output.finishReason, result);
            const last = data({ ...completionObject(record, '', result.output.finishReason), tessera });
            const usageChunk = includeUsage ? data({ ...completionObject(record, '', null), choices: [], usage }) : '';
            return `${last}${usageChunk}data: [DONE]\n\n`;
          },
          error: (error) => `${data(openAIErrorBody(error.code, error.message))}data: [DONE]\n\n`,
          keepAlive: () => ': keep-alive\n\n',
        },
        context.keepAliveMs,
      );
    },
  );
};
