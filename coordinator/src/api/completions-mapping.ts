import { TesseraError, findModel } from '@tessera/shared';
import type { ChatTaskSpec, Completion, CompletionRequest, ModelCatalogEntry } from '@tessera/shared';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { ChatTaskResult } from './stream-task-text.ts';

/** OpenAI's default for the legacy endpoint (chat's is larger): a drop-in answers as long as OpenAI would. */
export const DEFAULT_COMPLETION_MAX_TOKENS = 16;

/** A text-generation model of the catalog, or the error the API answers for any other id. */
export function requireTextModel(catalog: readonly ModelCatalogEntry[], id: string, endpoint: string): ModelCatalogEntry {
  const model = findModel(catalog, id);
  if (model === undefined)
    throw new TesseraError('model_not_found', `The model '${id}' does not exist. GET /v1/models lists the models Tessera serves.`, 'model');
  if (model.task !== 'text-generation')
    throw new TesseraError(
      'model_kind_mismatch',
      `The model '${id}' does ${model.task}; ${endpoint} needs a text-generation model.`,
      'model',
    );
  return model;
}

/**
 * A legacy completion as a chat task: the prompt is its one user message. A task has no raw prompt; for a
 * `plain` model (no chat template) the tab's prompt is the message itself, byte for byte, so it completes the
 * text as OpenAI's legacy models do; a chat-template model answers it as a user turn.
 */
export function completionRequestToSpec(catalog: readonly ModelCatalogEntry[], request: CompletionRequest): ChatTaskSpec {
  const model = requireTextModel(catalog, request.model, '/v1/completions');
  const prompt = request.prompt;
  if (typeof prompt !== 'string' && !(prompt.length === 1 && typeof prompt[0] === 'string'))
    throw new TesseraError(
      'unsupported_parameter',
      'prompt must be one string (or an array of one); send one request per prompt.',
      'prompt',
    );
  const text = typeof prompt === 'string' ? prompt : String(prompt[0]);
  if (text.length === 0) throw new TesseraError('invalid_request', 'prompt must not be empty.', 'prompt');
  if ((request.n ?? 1) !== 1) throw new TesseraError('unsupported_parameter', 'Only n=1 is supported.', 'n');
  if ((request.best_of ?? 1) > 1) throw new TesseraError('unsupported_parameter', 'Only best_of=1 is supported.', 'best_of');
  if (request.echo === true) throw new TesseraError('unsupported_parameter', 'echo is not supported.', 'echo');
  if (request.suffix !== undefined && request.suffix !== null && request.suffix !== '')
    throw new TesseraError('unsupported_parameter', 'suffix (insertion) is not supported.', 'suffix');
  if (request.logprobs !== undefined && request.logprobs !== null)
    throw new TesseraError('unsupported_parameter', 'logprobs are not supported.', 'logprobs');
  return {
    kind: 'chat',
    model: model.id,
    messages: [{ role: 'user', content: text }],
    params: {
      maxTokens: Math.min(request.max_tokens ?? DEFAULT_COMPLETION_MAX_TOKENS, model.contextLength),
      temperature: request.temperature ?? 1,
      topP: request.top_p ?? 1,
      seed: request.seed ?? null,
      stop: request.stop === undefined || request.stop === null ? [] : typeof request.stop === 'string' ? [request.stop] : request.stop,
    },
  };
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** One completion object: the whole answer (`result`), or a streamed piece of it (`text` alone). */
export function completionObject(
  record: TaskRecord,
  text: string,
  finishReason: 'stop' | 'length' | null,
  result?: ChatTaskResult,
): Completion {
  const nodeId = record.result?.nodeId ?? result?.nodeId;
  return {
    id: `cmpl-${record.id}`,
    object: 'text_completion',
    created: seconds(record.createdAt),
    model: record.spec.model,
    system_fingerprint: nodeId === undefined ? null : `tessera-${nodeId.slice(0, 8)}`,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
    ...(result === undefined
      ? {}
      : {
          usage: {
            prompt_tokens: result.usage.promptTokens,
            completion_tokens: result.usage.completionTokens,
            total_tokens: result.usage.promptTokens + result.usage.completionTokens,
          },
          tessera: { verification: result.check },
        }),
  };
}
