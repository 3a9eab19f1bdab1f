import { TesseraError, encodeEmbeddingBase64, findModel } from '@tessera/shared';
import type {
  ChatCompletionChunk,
  ChatLogprobs,
  ChatToolCall,
  FinishReason,
  ChatCompletionRequest,
  ChatCompletionResponse,
  ChatTaskSpec,
  EmbeddingRequest,
  EmbeddingResponse,
  EmbeddingsTaskSpec,
  ModelCatalogEntry,
  ModelTask,
  TaskMessage,
  TaskView,
} from '@tessera/shared';
import { openAIErrorBody } from '@tessera/shared';
import type { TaskRecord } from '../tasks/task-record.ts';
import { assertSupportedChatParameters } from './unsupported-chat-parameters.ts';
import { chatFeatures, shapingParams } from './chat-features-mapping.ts';
import { parseHermesToolCalls } from './tool-call-parsing.ts';

export const DEFAULT_MAX_TOKENS = 256;
/** `n` fans a request out to this many tasks at most (each may go to another tab). */
export const MAX_CHOICES = 8;

function requireModel(catalog: readonly ModelCatalogEntry[], id: string, task: ModelTask, endpoint: string): ModelCatalogEntry {
  const model = findModel(catalog, id);
  if (model === undefined) {
    throw new TesseraError('model_not_found', `The model '${id}' does not exist. GET /v1/models lists the models Tessera serves.`, 'model');
  }
  if (model.task !== task) {
    throw new TesseraError('model_kind_mismatch', `The model '${id}' does ${model.task}; ${endpoint} needs a ${task} model.`, 'model');
  }
  return model;
}

function flatten(content: string | { text: string }[] | null | undefined): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

function taskMessage(message: ChatCompletionRequest['messages'][number]): TaskMessage {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: flatten(message.content),
        ...(message.tool_calls === undefined
          ? {}
          : {
              toolCalls: message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })),
            }),
      };
    case 'tool':
      return { role: 'tool', content: flatten(message.content), toolCallId: message.tool_call_id };
    default:
      return { role: message.role, content: flatten(message.content) };
  }
}

/** Turns a validated OpenAI chat request into the task a tab runs, refusing what we cannot honour. */
export function chatRequestToSpec(catalog: readonly ModelCatalogEntry[], request: ChatCompletionRequest): ChatTaskSpec {
  const model = requireModel(catalog, request.model, 'text-generation', '/v1/chat/completions');
  const n = request.n ?? 1;
  if (n > MAX_CHOICES)
    throw new TesseraError('unsupported_parameter', `At most n=${MAX_CHOICES}: each choice is a task for a tab of its own.`, 'n');
  if (n > 1 && request.stream === true)
    throw new TesseraError('unsupported_parameter', 'n > 1 is not supported with stream: true yet; ask without streaming.', 'n');
  assertSupportedChatParameters(request, model);
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? Math.min(DEFAULT_MAX_TOKENS, model.contextLength);
  return {
    kind: 'chat',
    model: model.id,
    messages: request.messages.map(taskMessage),
    ...chatFeatures(request),
    params: {
      ...shapingParams(request),
      maxTokens,
      temperature: request.temperature ?? 1,
      topP: request.top_p ?? 1,
      seed: request.seed ?? null,
      stop: request.stop === undefined || request.stop === null ? [] : typeof request.stop === 'string' ? [request.stop] : request.stop,
    },
  };
}

export function embeddingRequestToSpec(catalog: readonly ModelCatalogEntry[], request: EmbeddingRequest): EmbeddingsTaskSpec {
  const model = requireModel(catalog, request.model, 'feature-extraction', '/v1/embeddings');
  if (request.dimensions !== undefined && request.dimensions !== model.embeddingDimensions) {
    throw new TesseraError(
      'unsupported_parameter',
      `'${model.id}' embeds into ${model.embeddingDimensions} dimensions; other sizes are not supported.`,
      'dimensions',
    );
  }
  return { kind: 'embeddings', model: model.id, texts: typeof request.input === 'string' ? [request.input] : request.input };
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export function completionId(record: TaskRecord): string {
  return `chatcmpl-${record.id}`;
}

function fingerprint(record: TaskRecord): string | null {
  return record.result === null ? null : `tessera-${record.result.nodeId.slice(0, 8)}`;
}

/** The text of one token, as the model's tokenizer decodes it alone (log probabilities name tokens by text). */
export type TokenText = (tokenId: number) => string;

const utf8 = new TextEncoder();

function tokenEntry(tokenId: number, logprob: number, tokenText: TokenText): { token: string; logprob: number; bytes: number[] } {
  const token = tokenText(tokenId);
  return { token, logprob, bytes: [...utf8.encode(token)] };
}

/** OpenAI's `logprobs` of a choice from the tab's checked log probabilities, or null when none were asked for. */
export function chatLogprobs(record: TaskRecord, tokenText: TokenText | null): ChatLogprobs | null {
  const output = record.result?.output;
  if (output?.kind !== 'chat' || output.logprobs === undefined || tokenText === null) return null;
  return {
    content: output.logprobs.map((entry, index) => ({
      ...tokenEntry(output.tokenIds[index] ?? 0, entry.logprob, tokenText),
      top_logprobs: entry.top.map(([tokenId, logprob]) => tokenEntry(tokenId, logprob, tokenText)),
    })),
    refusal: null,
  };
}

/** The answer as a chat message: tool calls parsed out of the text when the task offered tools. */
export function chatAnswer(record: TaskRecord): { content: string | null; toolCalls: ChatToolCall[]; finishReason: FinishReason } {
  const result = record.result;
  if (result === null || result.output.kind !== 'chat') throw new TesseraError('internal_error', 'The task has no chat result.');
  const { text, finishReason } = result.output;
  if (record.spec.kind !== 'chat' || record.spec.tools === undefined) return { content: text, toolCalls: [], finishReason };
  const parsed = parseHermesToolCalls(text, `call_${record.id}`);
  return {
    content: parsed.content,
    toolCalls: parsed.toolCalls,
    finishReason: parsed.toolCalls.length > 0 && finishReason === 'stop' ? 'tool_calls' : finishReason,
  };
}

/** One response for the tasks of an `n` fan-out, choice `i` from task `i`; usage summed, the prompt counted once. */
export function fannedOutChatResponse(records: readonly TaskRecord[], tokenText: TokenText | null): ChatCompletionResponse {
  const responses = records.map((record) => chatResponse(record, tokenText));
  const [first] = responses;
  if (first === undefined) throw new TesseraError('internal_error', 'A fan-out with no tasks.');
  const completionTokens = responses.reduce((total, response) => total + response.usage.completion_tokens, 0);
  const strength = ['unverified', 'unchecked', 'passed'] as const;
  const weakest = Math.min(...responses.map((response) => strength.indexOf(response.tessera?.verification ?? 'unverified')));
  return {
    ...first,
    choices: responses.flatMap((response, index) => response.choices.map((choice) => ({ ...choice, index }))),
    usage: {
      prompt_tokens: first.usage.prompt_tokens,
      completion_tokens: completionTokens,
      total_tokens: first.usage.prompt_tokens + completionTokens,
    },
    // The weakest check among the choices is what the whole answer can claim.
    tessera: { verification: strength[weakest] ?? 'unverified' },
  };
}

export function chatResponse(record: TaskRecord, tokenText: TokenText | null = null): ChatCompletionResponse {
  const result = record.result;
  if (result === null || result.output.kind !== 'chat') throw new TesseraError('internal_error', 'The task has no chat result.');
  const answer = chatAnswer(record);
  return {
    id: completionId(record),
    object: 'chat.completion',
    created: seconds(record.createdAt),
    model: record.spec.model,
    system_fingerprint: fingerprint(record),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.content,
          refusal: null,
          ...(answer.toolCalls.length > 0 ? { tool_calls: answer.toolCalls } : {}),
        },
        logprobs: chatLogprobs(record, tokenText),
        finish_reason: answer.finishReason,
      },
    ],
    usage: {
      prompt_tokens: result.usage.promptTokens,
      completion_tokens: result.usage.completionTokens,
      total_tokens: result.usage.promptTokens + result.usage.completionTokens,
    },
    tessera: { verification: result.check },
  };
}

export function chatChunk(
  record: TaskRecord,
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finishReason: FinishReason | null,
  logprobs: ChatLogprobs | null = null,
): ChatCompletionChunk {
  return {
    id: completionId(record),
    object: 'chat.completion.chunk',
    created: seconds(record.createdAt),
    model: record.spec.model,
    system_fingerprint: fingerprint(record),
    choices: [{ index: 0, delta, logprobs, finish_reason: finishReason }],
  };
}

export function embeddingResponse(record: TaskRecord, encoding: 'float' | 'base64'): EmbeddingResponse {
  const result = record.result;
  if (result === null || result.output.kind !== 'embeddings')
    throw new TesseraError('internal_error', 'The task has no embeddings result.');
  return {
    object: 'list',
    model: record.spec.model,
    data: result.output.vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: encoding === 'base64' ? encodeEmbeddingBase64(vector) : vector,
    })),
    usage: { prompt_tokens: result.usage.promptTokens, total_tokens: result.usage.promptTokens },
    tessera: { verification: result.check },
  };
}

export function taskView(record: TaskRecord, queuePosition: number | null): TaskView {
  return {
    id: record.id,
    object: 'task',
    type: record.api,
    model: record.spec.model,
    status: record.status,
    queue_position: queuePosition,
    attempts: record.attempts,
    created_at: seconds(record.createdAt),
    finished_at: record.finishedAt === null ? null : seconds(record.finishedAt),
    result:
      record.status !== 'succeeded' ? null : record.api === 'chat.completion' ? chatResponse(record) : embeddingResponse(record, 'float'),
    error: record.error === null ? null : openAIErrorBody(record.error.code, record.error.message).error,
    verification: record.result?.check ?? null,
  };
}
