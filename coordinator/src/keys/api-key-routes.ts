import {
  TesseraError,
  apiKeyIdParamsSchema,
  apiKeyListSchema,
  apiKeyViewSchema,
  apiUsageSchema,
  createApiKeyRequestSchema,
  createdApiKeySchema,
} from '@tessera/shared';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { createHash, timingSafeEqual } from 'node:crypto';
import { currentApiKey } from './api-key-auth.ts';
import { apiKeyView, type ApiKeyStore } from './api-key-store.ts';

/** The header the admin API reads its token from (not `Authorization`, which carries API keys). */
export const ADMIN_TOKEN_HEADER = 'x-tessera-admin-token';

export interface ApiKeyRoutesOptions {
  keys: ApiKeyStore;
  /** `TESSERA_ADMIN_TOKEN`; empty: the admin API answers 401 to everyone. */
  adminToken: string;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Throws unless the request carries the admin token; compared in constant time. */
function assertAdmin(request: FastifyRequest, adminToken: string): void {
  const sent = request.headers[ADMIN_TOKEN_HEADER];
  if (adminToken === '')
    throw new TesseraError('invalid_admin_token', 'The admin API is off: start the coordinator with TESSERA_ADMIN_TOKEN set.');
  if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), digest(adminToken)))
    throw new TesseraError('invalid_admin_token', `Send the admin token in the ${ADMIN_TOKEN_HEADER} header.`);
}

/** Keys for developers: created, listed and revoked by the operator; each key reads its own usage. */
export const apiKeyRoutes: FastifyPluginAsync<ApiKeyRoutesOptions> = async (app, { keys, adminToken }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Keys'];

  typed.post(
    '/api/v1/admin/keys',
    {
      schema: {
        tags,
        summary: `Create an API key (admin token in ${ADMIN_TOKEN_HEADER}); the key is in this answer only`,
        body: createApiKeyRequestSchema,
        response: { 201: createdApiKeySchema },
      },
      onRequest: (request, _reply, done) => done(tryAdmin(request, adminToken)),
    },
    async (request, reply) => {
      const { record, key, webhookSecret } = keys.create(request.body);
      return reply.code(201).send({ ...apiKeyView(record), key, webhook_secret: webhookSecret });
    },
  );

  typed.get(
    '/api/v1/admin/keys',
    {
      schema: { tags, summary: 'List API keys, with their usage (admin token)', response: { 200: apiKeyListSchema } },
      onRequest: (request, _reply, done) => done(tryAdmin(request, adminToken)),
    },
    async () => ({ data: keys.list().map(apiKeyView) }),
  );

  typed.delete(
    '/api/v1/admin/keys/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API key (admin token); its usage stays',
        params: apiKeyIdParamsSchema,
        response: { 200: apiKeyViewSchema },
      },
      onRequest: (request, _reply, done) => done(tryAdmin(request, adminToken)),
    },
    async (request) => {
      if (!keys.revoke(request.params.id))
        throw new TesseraError('api_key_not_found', `No API key has the id '${request.params.id}'.`, 'id');
      const record = keys.byId(request.params.id);
      if (record === undefined) throw new TesseraError('api_key_not_found', `No API key has the id '${request.params.id}'.`, 'id');
      return apiKeyView(record);
    },
  );

  typed.get(
    '/api/v1/usage',
    { schema: { tags, summary: "The calling key's usage and what is left of its quota", response: { 200: apiUsageSchema } } },
    async () => {
      const key = currentApiKey();
      if (key === null) throw new TesseraError('invalid_api_key', 'Send your API key (Authorization: Bearer tsra_…) to read its usage.');
      return {
        key: { id: key.id, name: key.name, prefix: key.prefix, priority: key.priority },
        requests: key.requests,
        used_tokens: key.usedTokens,
        quota_tokens: key.quotaTokens,
        remaining_tokens: key.quotaTokens === null ? null : Math.max(0, key.quotaTokens - key.usedTokens),
        requests_per_minute: key.requestsPerMinute,
      };
    },
  );
};

function tryAdmin(request: FastifyRequest, adminToken: string): Error | undefined {
  try {
    assertAdmin(request, adminToken);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
