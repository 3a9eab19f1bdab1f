import { API_KEY_PREFIX, TesseraError } from '@tessera/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.ts';

/** The key of the request being handled, for code that runs on its behalf without the request at hand. */
const requestKey = new AsyncLocalStorage<{ key: ApiKeyRecord | null }>();

/** The API key of the request this code runs for; null when anonymous or outside a request. */
export function currentApiKey(): ApiKeyRecord | null {
  return requestKey.getStore()?.key ?? null;
}

export interface ApiKeyAuthOptions {
  keys: Pick<ApiKeyStore, 'byKey'>;
  /** `TESSERA_REQUIRE_API_KEY`: the API refuses callers without a valid key. */
  required: boolean;
  /** The routes that take keys (the APIs developers call); pages, the tabs' socket and health checks do not. */
  applies: (url: string) => boolean;
}

/** The bearer token a request carries (`Authorization: Bearer …`, or Anthropic's `x-api-key`). */
function bearerOf(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && /^bearer\s+/i.test(authorization)) return authorization.replace(/^bearer\s+/i, '').trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

/**
 * Reads the caller's API key on every API request, before the rate limit (which then counts per key):
 * a `tsra_…` token must be a live key (401 `invalid_api_key` otherwise); any other token or none is an
 * anonymous caller, who is served at the lowest priority unless keys are required. The key is then
 * available to the code that submits the task (`currentApiKey`), whatever API shape the route speaks.
 */
export function installApiKeyAuth(app: FastifyInstance, options: ApiKeyAuthOptions): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (!options.applies(request.url)) {
      done();
      return;
    }
    const token = bearerOf(request);
    let key: ApiKeyRecord | null = null;
    if (token?.startsWith(API_KEY_PREFIX) === true) {
      key = options.keys.byKey(token) ?? null;
      if (key === null) {
        done(new TesseraError('invalid_api_key', 'This API key is not valid: it is unknown or was revoked.'));
        return;
      }
    } else if (options.required) {
      done(new TesseraError('invalid_api_key', 'This coordinator requires an API key: send Authorization: Bearer tsra_….'));
      return;
    }
    requestKey.run({ key }, done);
  });
}
