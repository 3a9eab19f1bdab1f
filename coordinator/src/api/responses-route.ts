import { TesseraError, responseObjectSchema, responseRequestSchema } from '@tessera/shared';
import type { ModelCatalogEntry, ResponseObject, ResponseStreamEvent } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentApiKey } from '../keys/api-key-auth.ts';
import type { ResponseStore } from './response-store.ts';
import { responseMessageId, responseObject, responseOutputMessage, responseRequestToTask } from './responses-mapping.ts';
import { roomForBody } from './room-for-body.ts';
import { requireChatResult, sseEvent, streamTaskText, type ChatTaskResult } from './stream-task-text.ts';
import { submitApiTask, succeededTask, type ApiTaskOptions } from './submit-api-task.ts';
import { ToolCallTextFilter } from './tool-call-parsing.ts';
import { VERIFICATION_HEADER } from './verification-header.ts';

export interface ResponsesOptions extends ApiTaskOptions {
  catalog: readonly ModelCatalogEntry[];
  /** The conversations behind `previous_response_id`. */
  responses: Pick<ResponseStore, 'get' | 'save'>;
  /** How often a waiting stream gets a keep-alive comment. */
  keepAliveMs: number;
}

/**
 * OpenAI's `POST /v1/responses` on the chat task (the AI SDK's default `openai(id)`, `client.responses.create`):
 * text in, text out, streamed with the Responses events; `previous_response_id` continues a stored conversation.
 */
export const responsesRoute: FastifyPluginAsync<ResponsesOptions> = async (app, context) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/responses',
    {
      onRequest: roomForBody(context.tasks),
      schema: {
        tags: ['OpenAI'],
        summary:
          'Create a model response (OpenAI Responses API: text input, instructions, previous_response_id); `stream: true` answers with its server-sent events',
        body: responseRequestSchema,
        response: { 200: responseObjectSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // Read now: a streamed answer is kept from the tab's result, outside this request's context.
      const owner = currentApiKey()?.id ?? null;
      const previousId = body.previous_response_id ?? null;
      const previous = previousId === null ? undefined : context.responses.get(previousId, owner);
      if (previousId !== null && previous === undefined)
        throw new TesseraError('response_not_found', `Previous response with id '${previousId}' not found.`, 'previous_response_id');
      const { spec, conversation } = responseRequestToTask(context.catalog, body, previous);
      const submitted = submitApiTask(context, request, reply, { api: 'chat.completion', spec });
      const { record } = submitted;
      const keep = (result: ChatTaskResult, response: ResponseObject): void => {
        if (body.store === false) return;
        const calls = response.output.flatMap((item) =>
          item.type === 'function_call' ? [{ id: item.call_id, name: item.name, arguments: item.arguments }] : [],
        );
        const text = response.output.flatMap((item) => (item.type === 'message' ? item.content.map((part) => part.text) : [])).join('');
        const answer = {
          role: 'assistant' as const,
          content: calls.length > 0 ? text : result.output.text,
          ...(calls.length > 0 ? { toolCalls: calls } : {}),
        };
        context.responses.save(response.id, { model: spec.model, conversation: [...conversation, answer], response }, owner);
      };

      if (body.stream !== true) {
        const done = await succeededTask(context, submitted);
        if (done === undefined) return reply;
        const result = requireChatResult(done);
        const response = responseObject(done, body, spec, { result });
        keep(result, response);
        return reply.header('x-tessera-task-id', record.id).header(VERIFICATION_HEADER, result.check).send(response);
      }

      let sequence = 0;
      // With tools, text that may be a tool call is held back: calls go out as function_call items at the end.
      const filter = spec.tools === undefined ? null : new ToolCallTextFilter();
      const event = (data: ResponseStreamEvent): string => sseEvent(data.type, data);
      const at = { output_index: 0, item_id: responseMessageId(record), content_index: 0 };
      const part = (text: string) => ({ type: 'output_text' as const, text, annotations: [] });
      return streamTaskText(
        context.tasks,
        reply,
        submitted,
        {
          contentType: 'text/event-stream; charset=utf-8',
          open: () => {
            const response = responseObject(record, body, spec, {});
            return (
              event({ type: 'response.created', sequence_number: sequence++, response }) +
              event({ type: 'response.in_progress', sequence_number: sequence++, response }) +
              event({
                type: 'response.output_item.added',
                sequence_number: sequence++,
                output_index: 0,
                item: responseOutputMessage(record, '', 'in_progress'),
              }) +
              event({ type: 'response.content_part.added', sequence_number: sequence++, ...at, part: part('') })
            );
          },
          delta: (delta) => {
            const text = filter === null ? delta : filter.push(delta);
            return text === ''
              ? ''
              : event({ type: 'response.output_text.delta', sequence_number: sequence++, ...at, delta: text, logprobs: [] });
          },
          done: (result) => {
            const response = responseObject(record, body, spec, { result });
            keep(result, response);
            const message = response.output.find((item) => item.type === 'message');
            const text = message?.content.map((part) => part.text).join('') ?? '';
            const calls = response.output.filter((item) => item.type === 'function_call');
            return (
              event({ type: 'response.output_text.done', sequence_number: sequence++, ...at, text, logprobs: [] }) +
              event({ type: 'response.content_part.done', sequence_number: sequence++, ...at, part: part(text) }) +
              event({
                type: 'response.output_item.done',
                sequence_number: sequence++,
                output_index: 0,
                item: message ?? responseOutputMessage(record, text, 'completed'),
              }) +
              calls
                .map(
                  (item, index) =>
                    event({
                      type: 'response.output_item.added',
                      sequence_number: sequence++,
                      output_index: index + 1,
                      item: { ...item, status: 'in_progress' },
                    }) +
                    event({
                      type: 'response.function_call_arguments.done',
                      sequence_number: sequence++,
                      output_index: index + 1,
                      item_id: item.id,
                      arguments: item.arguments,
                    }) +
                    event({ type: 'response.output_item.done', sequence_number: sequence++, output_index: index + 1, item }),
                )
                .join('') +
              event({
                type: response.status === 'incomplete' ? 'response.incomplete' : 'response.completed',
                sequence_number: sequence++,
                response,
              })
            );
          },
          error: (error) =>
            event({ type: 'response.failed', sequence_number: sequence++, response: responseObject(record, body, spec, { error }) }),
          keepAlive: () => ': keep-alive\n\n',
        },
        context.keepAliveMs,
      );
    },
  );
};
