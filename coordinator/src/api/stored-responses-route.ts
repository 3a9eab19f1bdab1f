import {
  TesseraError,
  responseDeletedSchema,
  responseIdParamsSchema,
  responseObjectSchema,
  responseRetrieveQuerySchema,
} from '@tessera/shared';
import type { ResponseDeleted, ResponseObject } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentApiKey } from '../keys/api-key-auth.ts';
import type { ResponseStore } from './response-store.ts';

export interface StoredResponsesOptions {
  responses: Pick<ResponseStore, 'get' | 'delete'>;
}

function notFound(id: string): TesseraError {
  return new TesseraError('response_not_found', `Response with id '${id}' not found.`, 'response_id');
}

/**
 * OpenAI's `GET` and `DELETE /v1/responses/{response_id}` (`client.responses.retrieve`, `.delete`): the
 * response object a `POST /v1/responses` answered and stored, and forgetting it, after which neither `GET`
 * nor `previous_response_id` finds it. A response made with an API key is that key's alone.
 */
export const storedResponsesRoute: FastifyPluginAsync<StoredResponsesOptions> = async (app, context) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/v1/responses/:response_id',
    {
      schema: {
        tags: ['OpenAI'],
        summary:
          'Retrieve a stored model response as POST /v1/responses answered it (not one made with `store: false`, another key’s, or deleted)',
        params: responseIdParamsSchema,
        querystring: responseRetrieveQuerySchema,
        response: { 200: responseObjectSchema },
      },
    },
    async (request): Promise<ResponseObject> => {
      if (request.query.stream === 'true')
        throw new TesseraError(
          'unsupported_parameter',
          'stream=true replays a background response, and background mode is not supported: retrieve it without stream.',
          'stream',
        );
      const id = request.params.response_id;
      const stored = context.responses.get(id, currentApiKey()?.id ?? null);
      // Stored before GET was served: its conversation continues, but there is no object to answer with.
      if (stored === undefined || stored.response === null) throw notFound(id);
      return stored.response;
    },
  );

  typed.delete(
    '/v1/responses/:response_id',
    {
      schema: {
        tags: ['OpenAI'],
        summary: 'Delete a stored model response: GET and previous_response_id no longer find it',
        params: responseIdParamsSchema,
        response: { 200: responseDeletedSchema },
      },
    },
    async (request): Promise<ResponseDeleted> => {
      const id = request.params.response_id;
      if (!context.responses.delete(id, currentApiKey()?.id ?? null)) throw notFound(id);
      return { id, object: 'response.deleted', deleted: true };
    },
  );
};
