import { CHAT_LIMITS, TesseraError } from '@tessera/shared';
import type { AnthropicMessage, AnthropicMessagesRequest, ChatTaskSpec, ModelCatalogEntry, TaskMessage } from '@tessera/shared';
import type { TaskRecord } from '../tasks/task-record.ts';
import { anthropicAnswer, anthropicTaskMessages, anthropicToolFeatures, type AnthropicToolFeatures } from './anthropic-tools-mapping.ts';
import { requireTextModel } from './completions-mapping.ts';
import type { ChatTaskResult } from './stream-task-text.ts';

type Blocks = AnthropicMessagesRequest['system'];

/** The system prompt's text blocks joined; any other block (image, document, tool use…) is refused, naming where it is. */
function blocksText(content: string | NonNullable<Blocks>, param: string): string {
  if (typeof content === 'string') return content;
  return content
    .map((block, index) => {
      if ('text' in block && block.type === 'text') return block.text;
      throw new TesseraError(
        'unsupported_parameter',
        `Content blocks of type '${block.type}' are not supported: Tessera's models read text only.`,
        `${param}.${index}.type`,
      );
    })
    .join('');
}

/** What `/v1/messages` and its `count_tokens` share: the model and the prompt, without the sampling. */
export type AnthropicPromptRequest = Pick<
  AnthropicMessagesRequest,
  'model' | 'messages' | 'system' | 'tools' | 'tool_choice' | 'thinking' | 'output_config'
>;

/**
 * A request's model, the messages of its task (the system prompt first, tool calls and results as the chat
 * route's) and its tools; what the model cannot honour is refused here, so that `count_tokens` refuses what
 * `/v1/messages` would and counts the prompt it would run.
 */
export function anthropicPrompt(
  catalog: readonly ModelCatalogEntry[],
  request: AnthropicPromptRequest,
  endpoint: string,
): { model: ModelCatalogEntry; messages: TaskMessage[]; tools: AnthropicToolFeatures } {
  const model = requireTextModel(catalog, request.model, endpoint);
  const tools = anthropicToolFeatures(request, model);
  if (request.thinking !== undefined && request.thinking.type !== 'disabled')
    throw new TesseraError('unsupported_parameter', 'Extended thinking is not supported.', 'thinking');
  const format = request.output_config?.format;
  if (format !== undefined && format !== null)
    throw new TesseraError('unsupported_parameter', 'Structured output (output_config.format) is not supported.', 'output_config.format');
  const system = request.system === undefined ? '' : blocksText(request.system, 'system');
  const messages: TaskMessage[] = [
    ...(system === '' ? [] : [{ role: 'system' as const, content: system }]),
    ...request.messages.flatMap((message, index) => anthropicTaskMessages(message, `messages.${index}.content`)),
  ];
  if (messages.length > CHAT_LIMITS.maxMessages)
    throw new TesseraError(
      'invalid_request',
      `The conversation makes ${messages.length} task messages (the system prompt and each tool result one), more than the ${CHAT_LIMITS.maxMessages} a task may carry.`,
      'messages',
    );
  return { model, messages, tools };
}

/** An Anthropic Messages request as the chat task the OpenAI route would make of the same conversation. */
export function anthropicRequestToSpec(catalog: readonly ModelCatalogEntry[], request: AnthropicMessagesRequest): ChatTaskSpec {
  const { model, messages, tools } = anthropicPrompt(catalog, request, '/v1/messages');
  if (request.top_k !== undefined) throw new TesseraError('unsupported_parameter', 'top_k is not supported; use top_p.', 'top_k');
  return {
    kind: 'chat',
    model: model.id,
    messages,
    ...tools,
    params: {
      maxTokens: request.max_tokens,
      temperature: request.temperature ?? 1,
      topP: request.top_p ?? 1,
      seed: null,
      stop: request.stop_sequences ?? [],
    },
  };
}

export function anthropicMessageId(record: TaskRecord): string {
  return `msg_${record.id}`;
}

export function anthropicUsage(result: ChatTaskResult | undefined): AnthropicMessage['usage'] {
  return { input_tokens: result?.usage.promptTokens ?? 0, output_tokens: result?.usage.completionTokens ?? 0 };
}

/** The whole answer (`result`), or the empty message that opens a stream. */
export function anthropicMessage(record: TaskRecord, result?: ChatTaskResult): AnthropicMessage {
  const answer = result === undefined || record.spec.kind !== 'chat' ? undefined : anthropicAnswer(record.id, record.spec, result);
  return {
    id: anthropicMessageId(record),
    type: 'message',
    role: 'assistant',
    model: record.spec.model,
    content: answer?.content ?? [],
    stop_reason: answer?.stopReason ?? null,
    stop_sequence: null,
    usage: anthropicUsage(result),
    ...(result === undefined ? {} : { tessera: { verification: result.check } }),
  };
}
