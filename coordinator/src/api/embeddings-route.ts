import { embeddingRequestSchema, embeddingResponseSchema } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ModelCatalogEntry } from '@tessera/shared';
import { roomForBody } from './room-for-body.ts';
import { VERIFICATION_HEADER } from './verification-header.ts';
import { embeddingRequestToSpec, embeddingResponse } from './openai-mapping.ts';
import { submitApiTask, succeededTask, type ApiTaskOptions } from './submit-api-task.ts';

export interface EmbeddingsOptions extends ApiTaskOptions {
  catalog: readonly ModelCatalogEntry[];
}

export const embeddingsRoute: FastifyPluginAsync<EmbeddingsOptions> = async (app, context) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/embeddings',
    {
      onRequest: roomForBody(context.tasks),
      schema: {
        tags: ['OpenAI'],
        summary: 'Create embeddings for one string or an array of strings (OpenAI-compatible)',
        body: embeddingRequestSchema,
        response: { 200: embeddingResponseSchema },
      },
    },
    async (request, reply) => {
      const spec = embeddingRequestToSpec(context.catalog, request.body);
      const submitted = submitApiTask(context, request, reply, { api: 'embedding', spec });
      const done = await succeededTask(context, submitted);
      if (done === undefined) return reply;
      return reply
        .header('x-tessera-task-id', submitted.record.id)
        .header(VERIFICATION_HEADER, done.result?.check ?? 'unverified')
        .send(embeddingResponse(done, request.body.encoding_format ?? 'float'));
    },
  );
};
