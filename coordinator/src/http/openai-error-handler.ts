import { ERROR_CODES, TesseraError, openAIErrorBody } from '@tessera/shared';
import type { ErrorCode } from '@tessera/shared';
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { drainRequest } from './drain-request.ts';

/** fastify's own error codes that are the caller's fault, mapped to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
};

/** Refusals that may pass soon (a tab joins, the queue drains): the answer says when to ask again. */
const RETRY_LATER = new Set<ErrorCode>(['no_capacity', 'queue_full', 'client_queue_full']);
const RETRY_AFTER_SECONDS = 2;

/** Renders an error in the shape of one API: OpenAI's by default, Anthropic's or Ollama's on their routes. */
export type ErrorBodyRenderer = (code: ErrorCode, message: string, param: string | null) => unknown;

/**
 * Every error leaves the API in OpenAI's shape (`{ error: { message, type, param, code } }`) with a
 * stable code from the shared registry. Only unexpected errors are logged as errors, with their stack;
 * the caller sees a generic message for those. A plugin of another API's routes installs it again with
 * that API's `render` (fastify keeps the handler to the plugin's own routes).
 */
export function installOpenAIErrorHandler(app: FastifyInstance, render: ErrorBodyRenderer = openAIErrorBody): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issue = error.validation[0];
      const param = issue?.instancePath.replace(/^\//, '').replaceAll('/', '.') || null;
      const message = error.validation
        .slice(0, 3)
        .map((item) => `${item.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'body'}: ${item.message ?? 'is invalid'}`)
        .join('; ');
      return reply.code(400).send(render('invalid_request', `Invalid request: ${message}`, param));
    }
    if (error instanceof TesseraError) {
      if (error.status >= 500) request.log.warn({ code: error.code }, error.message);
      // Clients (openai's among them) wait this long before their retry instead of their own backoff.
      if (RETRY_LATER.has(error.code)) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return reply.code(error.status).send(render(error.code, error.message, error.param));
    }
    const mapped = FASTIFY_CODES[error.code];
    if (!request.raw.complete) {
      // Refused before its body was read. A body over the limit may be far larger than the socket's buffers:
      // read the rest into the void first, so a client still uploading reads the 413 instead of a reset.
      // Any other (within the limit) fits in them: answer, and close the connection rather than read it.
      const drained = mapped === 'body_too_large' && (await drainRequest(request.raw));
      if (!drained) reply.header('connection', 'close');
    }
    if (mapped !== undefined) {
      const message = mapped === 'invalid_json' ? `The request body is not valid JSON: ${error.message}` : error.message;
      return reply.code(ERROR_CODES[mapped].status).send(render(mapped, message, null));
    }
    if (error.statusCode === 429) {
      return reply.code(429).send(render('rate_limited', error.message, null));
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(render('invalid_request', error.message, null));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(render('internal_error', 'Internal error in the coordinator; it has been logged.', null));
  });
}
