import { anthropicErrorBodySchema, ollamaErrorBodySchema, openAIErrorBodySchema } from '@tessera/shared';
import type { SwaggerTransform } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The security schemes the document declares: a developer's API key, and the operator's admin token. */
export const OPENAPI_SECURITY_SCHEMES = {
  apiKey: { type: 'http', scheme: 'bearer', description: 'A tsra_… key (npm run keys); optional unless TESSERA_REQUIRE_API_KEY=1' },
  adminToken: { type: 'apiKey', in: 'header', name: 'x-tessera-admin-token', description: 'TESSERA_ADMIN_TOKEN' },
} as const;

/** Routes whose 200 may also be server-sent events (`stream: true`) or, for Ollama, newline-delimited JSON. */
const STREAMS: Record<string, { type: string; description: string }> = {
  '/v1/chat/completions': {
    type: 'text/event-stream',
    description: 'With `stream: true`: `data:` chat.completion.chunk events, then `data: [DONE]`',
  },
  '/v1/completions': { type: 'text/event-stream', description: 'With `stream: true`: `data:` text_completion events, then `data: [DONE]`' },
  '/v1/responses': {
    type: 'text/event-stream',
    description: 'With `stream: true`: the Responses API events (`response.output_text.delta`, …)',
  },
  '/v1/messages': { type: 'text/event-stream', description: "With `stream: true`: Anthropic's message events" },
  '/api/chat': { type: 'application/x-ndjson', description: 'By default: one JSON object per line, the last with `done: true`' },
  '/api/generate': { type: 'application/x-ndjson', description: 'By default: one JSON object per line, the last with `done: true`' },
};

/** OpenAI's own operation names, so clients generated from either document read alike. */
const KNOWN_IDS: Record<string, string> = {
  'POST /v1/chat/completions': 'createChatCompletion',
  'POST /v1/embeddings': 'createEmbedding',
  'POST /v1/completions': 'createCompletion',
  'POST /v1/responses': 'createResponse',
  'GET /v1/responses/:response_id': 'getResponse',
  'DELETE /v1/responses/:response_id': 'deleteResponse',
  'GET /v1/models': 'listModels',
  'GET /v1/models/:model': 'retrieveModel',
  'POST /v1/messages': 'createMessage',
  'POST /v1/messages/count_tokens': 'countMessageTokens',
};

const KEYED = ['/v1/', '/api/v1/tasks', '/api/v1/usage', '/api/chat', '/api/generate', '/api/embed', '/api/tags', '/api/show'];

function errorBodyFor(url: string): z.ZodType {
  if (url === '/v1/messages' || url.startsWith('/v1/messages/')) return anthropicErrorBodySchema;
  if (url.startsWith('/api/') && !url.startsWith('/api/v1/')) return ollamaErrorBodySchema;
  return openAIErrorBodySchema;
}

/** `POST /v1/chat/completions` → `postV1ChatCompletions`, unless the route names its own. */
function operationIdFor(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((part) => part !== '')
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter((word) => word !== '');
  return [method.toLowerCase(), ...words.map((word) => word[0]?.toUpperCase() + word.slice(1))].join('');
}

/**
 * The zod transform, then what generators need that fastify's schemas do not say: an `operationId` on
 * every operation, the error responses (4XX, 5XX) in the shape of the route's API, the streaming content
 * types of the routes that stream, who may call (`security`), and a named path parameter where the route
 * is a wildcard (`/v1/models/*`: model ids contain a slash).
 */
export const openApiTransform: SwaggerTransform = (input) => {
  const transformed = jsonSchemaTransform(input as Parameters<typeof jsonSchemaTransform>[0]) as {
    schema: Record<string, unknown>;
    url: string;
  };
  if (transformed.schema.hide === true) return transformed;
  const method = Array.isArray(input.route.method) ? String(input.route.method[0]) : String(input.route.method);
  let url = transformed.url;
  const schema: Record<string, unknown> = { ...transformed.schema };
  if (url.endsWith('/*')) {
    url = `${url.slice(0, -2)}/:model`;
    schema.params = {
      type: 'object',
      properties: { model: { type: 'string', description: 'a catalog model id, e.g. tessera/tiny-gpt2' } },
      required: ['model'],
    };
  }
  schema.operationId ??= KNOWN_IDS[`${method} ${url}`] ?? operationIdFor(method, url);
  const errorSchema = z.toJSONSchema(errorBodyFor(url), { target: 'draft-2020-12', io: 'output' });
  const response = { ...(schema.response as Record<string, unknown> | undefined) };
  const stream = STREAMS[url];
  const ok = response['200'];
  if (stream !== undefined && ok !== undefined)
    response['200'] = {
      description: 'The answer; streamed when asked',
      content: { 'application/json': { schema: ok }, [stream.type]: { schema: { type: 'string', description: stream.description } } },
    };
  // Routes that answer without a schema (Prometheus text, a version string) still say what success is.
  if (!Object.keys(response).some((status) => status.startsWith('2'))) response['200'] = { description: 'The answer' };
  response['4XX'] ??= {
    description: "A refused request, in the route's API error shape",
    content: { 'application/json': { schema: errorSchema } },
  };
  response['5XX'] ??= {
    description: 'No capacity, a full queue, or a fault; retryable ones carry Retry-After',
    content: { 'application/json': { schema: errorSchema } },
  };
  schema.response = response;
  schema.security ??= url.startsWith('/api/v1/admin/')
    ? [{ adminToken: [] }]
    : KEYED.some((prefix) => url.startsWith(prefix))
      ? [{}, { apiKey: [] }]
      : [];
  return { schema, url };
};
