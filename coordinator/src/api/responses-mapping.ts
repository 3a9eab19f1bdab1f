import { CHAT_LIMITS, TesseraError } from '@tessera/shared';
import type { ChatTaskSpec, ModelCatalogEntry, ResponseObject, ResponseOutputItem, ResponseRequest, TaskMessage } from '@tessera/shared';
import type { TaskRecord } from '../tasks/task-record.ts';
import { requireTextModel } from './completions-mapping.ts';
import { DEFAULT_MAX_TOKENS } from './openai-mapping.ts';
import type { StoredResponse } from './response-store.ts';
import type { ChatTaskResult } from './stream-task-text.ts';
import { chatAnswer } from './openai-mapping.ts';
import { responseFeatures, toolItemMessage } from './responses-tools-mapping.ts';

/** The task of a Responses request, and the conversation to store with its answer for a follow-up. */
export interface ResponseTask {
  spec: ChatTaskSpec;
  /** The earlier response's conversation, then this request's input; `instructions` are not part of it. */
  conversation: TaskMessage[];
}

function refuse(param: string, what: string): never {
  throw new TesseraError('unsupported_parameter', `${what} is not supported: Tessera's models read and write plain text.`, param);
}

/** What a stateless text model cannot serve, refused by name before anything is stored. */
function refuseUnserved(request: ResponseRequest): void {
  if (request.background === true) refuse('background', 'Background mode');
  if (request.conversation !== undefined && request.conversation !== null) refuse('conversation', 'The Conversations API');
  if (request.prompt !== undefined && request.prompt !== null) refuse('prompt', 'Prompt templates');
}

function inputMessages(input: ResponseRequest['input']): TaskMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const messages: TaskMessage[] = [];
  for (const [index, item] of input.entries()) {
    const fromTool = toolItemMessage(item, messages);
    if (fromTool === 'merged') continue;
    messages.push(fromTool ?? inputMessage(item, index));
  }
  return messages;
}

function inputMessage(item: Exclude<ResponseRequest['input'], string>[number], index: number): TaskMessage {
  {
    if (!('role' in item)) refuse(`input.${index}.type`, `Input items of type '${item.type}'`);
    const content =
      typeof item.content === 'string'
        ? item.content
        : item.content
            .map((part, partIndex) => {
              if ('text' in part && (part.type === 'input_text' || part.type === 'output_text')) return part.text;
              return refuse(`input.${index}.content.${partIndex}.type`, `Content of type '${part.type}' (images, files)`);
            })
            .join('');
    return { role: item.role, content };
  }
}

export function responseRequestToTask(
  catalog: readonly ModelCatalogEntry[],
  request: ResponseRequest,
  previous: StoredResponse | undefined,
): ResponseTask {
  const model = requireTextModel(catalog, request.model, '/v1/responses');
  refuseUnserved(request);
  const features = responseFeatures(request, model);
  const conversation = [...(previous?.conversation ?? []), ...inputMessages(request.input)];
  const instructions = request.instructions ?? '';
  const messages: TaskMessage[] = [...(instructions === '' ? [] : [{ role: 'system' as const, content: instructions }]), ...conversation];
  if (messages.length > CHAT_LIMITS.maxMessages)
    throw new TesseraError(
      'invalid_request',
      `The conversation has ${messages.length} messages, more than the ${CHAT_LIMITS.maxMessages} a task may carry; start a new one.`,
      request.previous_response_id === undefined || request.previous_response_id === null ? 'input' : 'previous_response_id',
    );
  return {
    conversation,
    spec: {
      kind: 'chat',
      model: model.id,
      messages,
      ...features,
      params: {
        maxTokens: request.max_output_tokens ?? Math.min(DEFAULT_MAX_TOKENS, model.contextLength),
        temperature: request.temperature ?? 1,
        topP: request.top_p ?? 1,
        seed: null,
        stop: [],
      },
    },
  };
}

export const responseId = (record: TaskRecord): string => `resp_${record.id}`;
export const responseMessageId = (record: TaskRecord): string => `msg_${record.id}`;

/** The answer as the response's one output message. */
export function responseOutputMessage(record: TaskRecord, text: string, status: 'in_progress' | 'completed' | 'incomplete') {
  return {
    type: 'message' as const,
    id: responseMessageId(record),
    status,
    role: 'assistant' as const,
    content: status === 'in_progress' ? [] : [{ type: 'output_text' as const, text, annotations: [] }],
  };
}

export const responseFunctionCallId = (record: TaskRecord, index: number): string => `fc_${record.id}_${index}`;

/** The answer's output items: its text as a message (none when it is tool calls only), then each tool call. */
export function responseOutputItems(record: TaskRecord, status: 'completed' | 'incomplete'): ResponseOutputItem[] {
  const answer = chatAnswer(record);
  const message = answer.content === null ? [] : [responseOutputMessage(record, answer.content, status)];
  return [
    ...message,
    ...answer.toolCalls.map((call, index) => ({
      type: 'function_call' as const,
      id: responseFunctionCallId(record, index),
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
      status: 'completed' as const,
    })),
  ];
}

function responseToolChoice(spec: ChatTaskSpec): ResponseObject['tool_choice'] {
  if (spec.tools === undefined) return 'none';
  const choice = spec.toolChoice ?? 'auto';
  return typeof choice === 'object' ? { type: 'function', name: choice.name } : choice;
}

/** The response object at a stage of the task: in progress (no result yet), finished (`result`), or failed. */
export function responseObject(
  record: TaskRecord,
  request: ResponseRequest,
  spec: ChatTaskSpec,
  state: { result?: ChatTaskResult; error?: TesseraError },
): ResponseObject {
  const { result, error } = state;
  const cut = result?.output.finishReason === 'length';
  const status = error !== undefined ? 'failed' : result === undefined ? 'in_progress' : cut ? 'incomplete' : 'completed';
  return {
    id: responseId(record),
    object: 'response',
    created_at: Math.floor(record.createdAt / 1000),
    status,
    error: error === undefined ? null : { code: error.code, message: error.message },
    incomplete_details: cut ? { reason: 'max_output_tokens' } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: spec.model,
    output: result === undefined ? [] : responseOutputItems(record, cut ? 'incomplete' : 'completed'),
    parallel_tool_calls: spec.tools !== undefined && spec.parallelToolCalls !== false,
    previous_response_id: request.previous_response_id ?? null,
    store: request.store !== false,
    temperature: spec.params.temperature,
    top_p: spec.params.topP,
    text: { format: request.text?.format ?? { type: 'text' } },
    tool_choice: responseToolChoice(spec),
    tools: (spec.tools ?? []).map((tool) => ({
      type: 'function' as const,
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: false,
    })),
    truncation: 'disabled',
    usage:
      result === undefined
        ? null
        : {
            input_tokens: result.usage.promptTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: result.usage.completionTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: result.usage.promptTokens + result.usage.completionTokens,
          },
    metadata: request.metadata ?? {},
    ...(result === undefined ? {} : { tessera: { verification: result.check } }),
  };
}
