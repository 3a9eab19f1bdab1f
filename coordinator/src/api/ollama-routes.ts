import {
  ollamaChatRequestSchema,
  ollamaChatResponseSchema,
  ollamaEmbedRequestSchema,
  ollamaEmbedResponseSchema,
  ollamaErrorBody,
  ollamaGenerateRequestSchema,
  ollamaGenerateResponseSchema,
  ollamaShowRequestSchema,
  ollamaShowResponseSchema,
  ollamaTagsResponseSchema,
  TesseraError,
  findModel,
} from '@tessera/shared';
import type {
  ModelCatalogEntry,
  OllamaChatResponse,
  OllamaGenerateResponse,
  OllamaShowResponse,
  OllamaTagsResponse,
} from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { installOpenAIErrorHandler } from '../http/openai-error-handler.ts';
import type { ModelAvailability } from '../placement/model-availability.ts';
import { catalogId, ollamaChatToSpec, ollamaEmbedToSpec, ollamaFinal, ollamaGenerateToSpec } from './ollama-mapping.ts';
import { ollamaModelDetails, ollamaShowResponse } from './ollama-show.ts';
import { OllamaToolStream, ollamaAnswerMessage, type OllamaAnswerMessage } from './ollama-tools.ts';
import { roomForBody } from './room-for-body.ts';
import { requireChatResult, streamTaskText, type ChatTaskResult } from './stream-task-text.ts';
import { submitApiTask, succeededTask, type ApiTaskOptions } from './submit-api-task.ts';
import { VERIFICATION_HEADER } from './verification-header.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { SubmittedApiTask } from './submit-api-task.ts';
import type { FastifyReply } from 'fastify';

export interface OllamaRoutesOptions extends ApiTaskOptions {
  catalog: readonly ModelCatalogEntry[];
  /** Tabs serving each model (on every instance): `/api/tags` lists the models someone serves, as `/v1/models` counts them. */
  availability: Pick<ModelAvailability, 'online'>;
  /** How often a waiting stream gets an empty piece (NDJSON has no comments). */
  keepAliveMs: number;
}

/** Builds one object of a chat or generate answer: a piece of the message, or the last with `final` fields. */
type OllamaObject<T> = (record: TaskRecord, message: OllamaAnswerMessage, final?: ReturnType<typeof ollamaFinal>) => T;

const chatObject: OllamaObject<OllamaChatResponse> = (record, message, final) => ({
  model: record.spec.model,
  created_at: new Date().toISOString(),
  message: { role: 'assistant', ...message },
  done: final !== undefined,
  ...final,
});

// A generate task has no tools, so its message is text only.
const generateObject: OllamaObject<OllamaGenerateResponse> = (record, message, final) => ({
  model: record.spec.model,
  created_at: new Date().toISOString(),
  response: message.content,
  done: final !== undefined,
  ...final,
});

/** Ollama streams unless the request says `stream: false`: newline-delimited JSON objects, the last `done: true`. */
async function answer<T>(
  context: OllamaRoutesOptions,
  reply: FastifyReply,
  submitted: SubmittedApiTask,
  stream: boolean,
  build: OllamaObject<T>,
): Promise<FastifyReply> {
  const { record } = submitted;
  if (!stream) {
    const done = await succeededTask(context, submitted);
    if (done === undefined) return reply;
    const result: ChatTaskResult = requireChatResult(done);
    return reply
      .header('x-tessera-task-id', record.id)
      .header(VERIFICATION_HEADER, result.check)
      .send(build(done, ollamaAnswerMessage(done.spec, done.id, result.output.text), ollamaFinal(done, result)));
  }
  const line = (value: unknown): string => `${JSON.stringify(value)}\n`;
  // With tools, text that may be a tool call is held back: the calls go out in one piece before the last.
  const tools = record.spec.kind === 'chat' && record.spec.tools !== undefined ? new OllamaToolStream() : null;
  return streamTaskText(
    context.tasks,
    reply,
    submitted,
    {
      contentType: 'application/x-ndjson',
      open: () => '',
      delta: (delta) => {
        if (tools === null) return line(build(record, { content: delta }));
        const text = tools.text(delta);
        return text === '' ? '' : line(build(record, { content: text }));
      },
      done: (result) => {
        const last = line(build(record, { content: '' }, ollamaFinal(record, result)));
        const calls = tools?.end(ollamaAnswerMessage(record.spec, record.id, result.output.text));
        return calls === undefined ? last : line(build(record, calls)) + last;
      },
      error: (error) => line(ollamaErrorBody(error.code, error.message)),
      keepAlive: () => line(build(record, { content: '' })),
    },
    context.keepAliveMs,
  );
}

/**
 * Ollama's native API, so clients built for a local Ollama (its `ollama` npm and Python packages, Open WebUI,
 * editors) can use the network: `/api/chat`, `/api/generate`, `/api/embed`, `/api/tags`, `/api/show`,
 * `/api/version`. They sit beside the native `/api/v1/…` routes without clashing (no Ollama route has a `v1`
 * segment). Errors are Ollama's `{error}`.
 */
export const ollamaRoutes: FastifyPluginAsync<OllamaRoutesOptions> = async (app, context) => {
  installOpenAIErrorHandler(app, ollamaErrorBody);
  // Ollama reads the body as JSON whatever its type, and its documented `curl … -d '{…}'` says
  // application/x-www-form-urlencoded: these routes (and only they) read that as JSON too.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.post(
    '/api/chat',
    {
      onRequest: roomForBody(context.tasks),
      schema: {
        tags: ['Ollama'],
        summary: 'Chat (Ollama API); streams newline-delimited JSON unless `stream: false`',
        body: ollamaChatRequestSchema,
        response: { 200: ollamaChatResponseSchema },
      },
    },
    async (request, reply) => {
      const spec = ollamaChatToSpec(context.catalog, request.body);
      const submitted = submitApiTask(context, request, reply, { api: 'chat.completion', spec });
      return answer(context, reply, submitted, request.body.stream !== false, chatObject);
    },
  );

  typed.post(
    '/api/generate',
    {
      onRequest: roomForBody(context.tasks),
      schema: {
        tags: ['Ollama'],
        summary: 'Generate from a prompt (Ollama API; the prompt runs as a user message); streams unless `stream: false`',
        body: ollamaGenerateRequestSchema,
        response: { 200: ollamaGenerateResponseSchema },
      },
    },
    async (request, reply) => {
      const spec = ollamaGenerateToSpec(context.catalog, request.body);
      const submitted = submitApiTask(context, request, reply, { api: 'chat.completion', spec });
      return answer(context, reply, submitted, request.body.stream !== false, generateObject);
    },
  );

  typed.post(
    '/api/embed',
    {
      onRequest: roomForBody(context.tasks),
      schema: {
        tags: ['Ollama'],
        summary: 'Embed a string or an array of strings (Ollama API)',
        body: ollamaEmbedRequestSchema,
        response: { 200: ollamaEmbedResponseSchema },
      },
    },
    async (request, reply) => {
      const spec = ollamaEmbedToSpec(context.catalog, request.body);
      const submitted = submitApiTask(context, request, reply, { api: 'embedding', spec });
      const done = await succeededTask(context, submitted);
      if (done === undefined) return reply;
      const result = done.result;
      const vectors = result?.output.kind === 'embeddings' ? result.output.vectors : [];
      return reply
        .header('x-tessera-task-id', done.id)
        .header(VERIFICATION_HEADER, result?.check ?? 'unverified')
        .send({
          model: request.body.model,
          embeddings: vectors,
          total_duration: Math.round(Math.max(0, (done.finishedAt ?? done.createdAt) - done.createdAt) * 1_000_000),
          load_duration: 0,
          prompt_eval_count: result?.usage.promptTokens ?? 0,
        });
    },
  );

  typed.get(
    '/api/tags',
    {
      schema: {
        tags: ['Ollama'],
        summary: 'The catalog models a connected tab serves now (Ollama API)',
        response: { 200: ollamaTagsResponseSchema },
      },
    },
    async (): Promise<OllamaTagsResponse> => ({
      models: context.catalog
        .filter((model) => context.availability.online(model.id) > 0)
        .map((model) => ({
          name: model.id,
          model: model.id,
          modified_at: new Date(0).toISOString(),
          size: model.downloadBytes,
          digest: model.files[0]?.sha256 ?? '',
          details: ollamaModelDetails(model),
        })),
    }),
  );

  typed.post(
    '/api/show',
    {
      schema: {
        tags: ['Ollama'],
        summary: "A catalog model's details, context length and capabilities (Ollama API; served now or not)",
        body: ollamaShowRequestSchema,
        response: { 200: ollamaShowResponseSchema },
      },
    },
    async (request): Promise<OllamaShowResponse> => {
      const name = request.body.model ?? request.body.name ?? '';
      const model = findModel(context.catalog, catalogId(name));
      // Ollama's own words, which its clients show as they are: no field appended.
      if (model === undefined) throw new TesseraError('model_not_found', `model '${name}' not found`, null);
      return ollamaShowResponse(model);
    },
  );

  typed.get('/api/version', { schema: { tags: ['Ollama'], summary: 'The Ollama API version these routes follow' } }, async () => ({
    version: OLLAMA_API_VERSION,
  }));
};

/** The Ollama release whose API these routes follow (clients check it for features). */
export const OLLAMA_API_VERSION = '0.12.0';
