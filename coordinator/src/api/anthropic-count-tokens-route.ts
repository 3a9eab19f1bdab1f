import { TesseraError, anthropicCountTokensRequestSchema, anthropicErrorBody, anthropicTokensCountSchema } from '@tessera/shared';
import type { AnthropicTokensCount, ModelCatalogEntry } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { installOpenAIErrorHandler } from '../http/openai-error-handler.ts';
import type { WorkCounter } from '../work/work-counter.ts';
import { anthropicPrompt } from './anthropic-mapping.ts';

export interface AnthropicCountTokensOptions {
  catalog: readonly ModelCatalogEntry[];
  counter: Pick<WorkCounter, 'promptTokens'>;
}

/**
 * Anthropic's `POST /v1/messages/count_tokens` (`client.messages.countTokens`): the prompt a `/v1/messages`
 * request would run, its tools included, built and counted by the coordinator's tokenizer exactly as that request's
 * `usage.input_tokens` will be. No task and no tab: it answers for any catalog text model whose tokenizer loads.
 */
export const anthropicCountTokensRoute: FastifyPluginAsync<AnthropicCountTokensOptions> = async (app, context) => {
  installOpenAIErrorHandler(app, anthropicErrorBody);
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/messages/count_tokens',
    {
      schema: {
        tags: ['Anthropic'],
        summary: "Count a Messages request's input tokens (Anthropic API) with the model's tokenizer, as /v1/messages counts them",
        body: anthropicCountTokensRequestSchema,
        response: { 200: anthropicTokensCountSchema },
      },
    },
    async (request): Promise<AnthropicTokensCount> => {
      const { model, messages, tools } = anthropicPrompt(context.catalog, request.body, '/v1/messages/count_tokens');
      // The tools are part of the prompt: the model's template renders them, as it will for the task.
      const count = await context.counter.promptTokens({
        model: model.id,
        messages,
        ...(tools.tools === undefined ? {} : { tools: tools.tools }),
      });
      if (!count.ok)
        throw new TesseraError('model_unavailable', `Tessera cannot count tokens for ${model.id} now: ${count.uncountable}.`, 'model');
      return { input_tokens: count.tokens };
    },
  );
};
