import { CHAT_LIMITS, TesseraError, findModel } from '@tessera/shared';
import type {
  ChatTaskSpec,
  EmbeddingsTaskSpec,
  ModelCatalogEntry,
  OllamaChatRequest,
  OllamaEmbedRequest,
  OllamaGenerateRequest,
} from '@tessera/shared';
import type { TaskRecord } from '../tasks/task-record.ts';
import { requireTextModel } from './completions-mapping.ts';
import { ollamaTaskMessages, ollamaTools } from './ollama-tools.ts';
import type { ChatTaskResult } from './stream-task-text.ts';

/** Ollama's default when `num_predict` is not given is "until done"; a task needs a bound. */
export const OLLAMA_DEFAULT_MAX_TOKENS = 256;

/** Ollama names carry a tag (`model:latest`); the catalog's ids do not. */
export function catalogId(name: string): string {
  return name.endsWith(':latest') ? name.slice(0, -':latest'.length) : name;
}

function refuse(field: string, what: string): never {
  throw new TesseraError('unsupported_parameter', `${what} is not supported: Tessera's models read and write plain text.`, field);
}

function refuseThinking(request: { think?: unknown }): void {
  if (request.think !== undefined && request.think !== false) refuse('think', 'think');
}

/** `format` as the task's output format; refused for a web-llm model, whose answers guards could not replay. */
function responseFormat(model: ModelCatalogEntry, format: OllamaChatRequest['format']): Pick<ChatTaskSpec, 'responseFormat'> {
  if (format === undefined || format === '') return {};
  if (model.engine === 'web-llm')
    throw new TesseraError('unsupported_parameter', `format is not supported for ${model.id}: its engine reports no token ids.`, 'format');
  return { responseFormat: format === 'json' ? { type: 'json_object' } : { type: 'json_schema', schema: format } };
}

function params(model: ModelCatalogEntry, options: OllamaChatRequest['options']): ChatTaskSpec['params'] {
  const predict = options?.num_predict;
  // -1 (no limit) and -2 (fill the context) are bounded by what a task may ask.
  const maxTokens = predict === undefined ? OLLAMA_DEFAULT_MAX_TOKENS : predict < 0 ? CHAT_LIMITS.maxTokens : predict;
  if (maxTokens === 0) throw new TesseraError('invalid_request', 'options.num_predict must not be 0.', 'options.num_predict');
  return {
    maxTokens: Math.min(maxTokens, model.contextLength, CHAT_LIMITS.maxTokens),
    // Ollama's default temperature is 0.8.
    temperature: options?.temperature ?? 0.8,
    topP: options?.top_p ?? 1,
    seed: options?.seed ?? null,
    stop: options?.stop ?? [],
  };
}

export function ollamaChatToSpec(catalog: readonly ModelCatalogEntry[], request: OllamaChatRequest): ChatTaskSpec {
  const model = requireTextModel(catalog, catalogId(request.model), '/api/chat');
  refuseThinking(request);
  request.messages.forEach((message, index) => {
    if (message.images !== undefined && message.images.length > 0) refuse(`messages.${index}.images`, 'Images');
  });
  return {
    kind: 'chat',
    model: model.id,
    messages: ollamaTaskMessages(request.messages),
    // Tools first: with them, `format` is refused by name before it is read.
    ...ollamaTools(model, request),
    ...responseFormat(model, request.format),
    params: params(model, request.options),
  };
}

/** `/api/generate`: the optional system prompt, then the prompt as a user message (as `/v1/completions`). */
export function ollamaGenerateToSpec(catalog: readonly ModelCatalogEntry[], request: OllamaGenerateRequest): ChatTaskSpec {
  const model = requireTextModel(catalog, catalogId(request.model), '/api/generate');
  refuseThinking(request);
  if (request.tools !== undefined && request.tools.length > 0)
    throw new TesseraError('unsupported_parameter', "Ollama's /api/generate takes no tools: send them to /api/chat.", 'tools');
  if (request.images !== undefined && request.images.length > 0) refuse('images', 'Images');
  if (request.suffix !== undefined && request.suffix !== '') refuse('suffix', 'suffix (fill in the middle)');
  if (request.template !== undefined && request.template !== '') refuse('template', 'A prompt template');
  if (request.raw === true) refuse('raw', 'raw (a prompt without the model template)');
  if (request.context !== undefined && request.context.length > 0) refuse('context', 'context (token ids of an earlier answer)');
  const system = request.system ?? '';
  return {
    kind: 'chat',
    model: model.id,
    messages: [...(system === '' ? [] : [{ role: 'system' as const, content: system }]), { role: 'user', content: request.prompt }],
    ...responseFormat(model, request.format),
    params: params(model, request.options),
  };
}

export function ollamaEmbedToSpec(catalog: readonly ModelCatalogEntry[], request: OllamaEmbedRequest): EmbeddingsTaskSpec {
  const id = catalogId(request.model);
  const model = findModel(catalog, id);
  if (model === undefined)
    throw new TesseraError('model_not_found', `The model '${request.model}' does not exist. GET /api/tags lists them.`, 'model');
  if (model.task !== 'feature-extraction')
    throw new TesseraError(
      'model_kind_mismatch',
      `The model '${request.model}' does ${model.task}; /api/embed needs an embedding model.`,
      'model',
    );
  if (request.dimensions !== undefined && request.dimensions !== model.embeddingDimensions)
    throw new TesseraError(
      'unsupported_parameter',
      `'${model.id}' embeds into ${model.embeddingDimensions} dimensions only.`,
      'dimensions',
    );
  return { kind: 'embeddings', model: model.id, texts: typeof request.input === 'string' ? [request.input] : request.input };
}

const NS_PER_MS = 1_000_000;

/** What Ollama's last object of a generation carries: why it stopped, the counts and the times (ns). */
export function ollamaFinal(record: TaskRecord, result: ChatTaskResult) {
  const totalMs = result.timings.totalMs;
  const firstMs = result.timings.firstTokenMs ?? 0;
  return {
    done_reason: result.output.finishReason,
    total_duration: Math.round(Math.max(0, (record.finishedAt ?? Date.now()) - record.createdAt) * NS_PER_MS),
    load_duration: 0,
    prompt_eval_count: result.usage.promptTokens,
    prompt_eval_duration: Math.round(firstMs * NS_PER_MS),
    eval_count: result.usage.completionTokens,
    eval_duration: Math.round(Math.max(0, totalMs - firstMs) * NS_PER_MS),
    tessera: { verification: result.check },
  };
}
