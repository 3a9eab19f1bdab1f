import { embeddingRequestSchema, embeddingResponseSchema } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ModelCatalogEntry } from '@tessera/shared';
import { minTierFrom } from './min-tier-header.ts';
import { roomForBody } from './room-for-body.ts';
import { VERIFICATION_HEADER } from './verification-header.ts';
import { ANONYMOUS_PRIORITY } from './priorities.ts';
import { waitForTask, type TaskSubmitter } from '../tasks/wait-for-task.ts';
import { cancelWhenClientLeaves } from './abort-when-client-leaves.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, type IdempotencyKeys } from './idempotency-keys.ts';
import { terminalError } from './terminal-error.ts';
import { embeddingRequestToSpec, embeddingResponse } from './openai-mapping.ts';

export interface EmbeddingsOptions {
  catalog: readonly ModelCatalogEntry[];
  tasks: TaskSubmitter;
  /** `Idempotency-Key`: a retry gets the task its first request created. */
  idempotency: Pick<IdempotencyKeys, 'submitOnce'>;
  /** How long the task of a caller that left with an Idempotency-Key waits for its retry. */
  abandonGraceMs: number;
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
      const { record, replayed } = context.idempotency.submitOnce(
        { client: request.ip, key: request.headers[IDEMPOTENCY_KEY_HEADER], route: request.url, body: request.body },
        () =>
          context.tasks.submit({
            api: 'embedding',
            spec,
            priority: ANONYMOUS_PRIORITY,
            minTier: minTierFrom(request.headers),
            client: request.ip,
          }),
      );
      if (replayed) reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
      const event = await waitForTask(
        context.tasks,
        record,
        undefined,
        cancelWhenClientLeaves(
          reply.raw,
          context.tasks,
          record.id,
          request.headers[IDEMPOTENCY_KEY_HEADER] === undefined ? 0 : context.abandonGraceMs,
        ),
      );
      if (event === undefined) return reply;
      if (event.type !== 'succeeded') throw terminalError(event);
      return reply
        .header('x-tessera-task-id', record.id)
        .header(VERIFICATION_HEADER, event.record.result?.check ?? 'unverified')
        .send(embeddingResponse(event.record, request.body.encoding_format ?? 'float'));
    },
  );
};
