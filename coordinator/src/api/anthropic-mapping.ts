import { TesseraError } from '@tessera/shared';
import type { AnthropicMessage, AnthropicMessagesRequest, ChatTaskSpec, ModelCatalogEntry, TaskMessage } from '@tessera/shared';
import type { TaskRecord } from '../tasks/task-record.ts';
import { requireTextModel } from './completions-mapping.ts';
import type { ChatTaskResult } from './stream-task-text.ts';

type Blocks = AnthropicMessagesRequest['system'];

/** Text blocks joined; any other block (image, document, tool use…) is refused, naming where it is. */
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
 * A request's model and the messages of its task, the system prompt first; what a text model cannot honour
 * is refused here, so that `count_tokens` refuses what `/v1/messages` would and counts the prompt it would run.
 */
export function anthropicPrompt(
  catalog: readonly ModelCatalogEntry[],
  request: AnthropicPromptRequest,
  endpoint: string,
): { model: ModelCatalogEntry; messages: TaskMessage[] } {
  const model = requireTextModel(catalog, request.model, endpoint);
  if (request.tools !== undefined && request.tools.length > 0)
    throw new TesseraError('unsupported_parameter', 'Tools are not supported.', 'tools');
  if (request.tool_choice !== undefined) throw new TesseraError('unsupported_parameter', 'tool_choice is not supported.', 'tool_choice');
  if (request.thinking !== undefined && request.thinking.type !== 'disabled')
    throw new TesseraError('unsupported_parameter', 'Extended thinking is not supported.', 'thinking');
  const format = request.output_config?.format;
  if (format !== undefined && format !== null)
    throw new TesseraError('unsupported_parameter', 'Structured output (output_config.format) is not supported.', 'output_config.format');
  const system = request.system === undefined ? '' : blocksText(request.system, 'system');
  const messages: TaskMessage[] = [
    ...(system === '' ? [] : [{ role: 'system' as const, content: system }]),
    ...request.messages.map((message, index) => ({
      role: message.role,
      content: blocksText(message.content, `messages.${index}.content`),
    })),
  ];
  return { model, messages };
}

/** An Anthropic Messages request as the chat task the OpenAI route would make of the same conversation. */
export function anthropicRequestToSpec(catalog: readonly ModelCatalogEntry[], request: AnthropicMessagesRequest): ChatTaskSpec {
  const { model, messages } = anthropicPrompt(catalog, request, '/v1/messages');
  if (request.top_k !== undefined) throw new TesseraError('unsupported_parameter', 'top_k is not supported; use top_p.', 'top_k');
  return {
    kind: 'chat',
    model: model.id,
    messages,
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

/**
 * The task's finish as Anthropic's stop reason. A tab reports `stop` for both its end of text and a stop
 * sequence: without telling them apart, both are `end_turn` (and `stop_sequence` null).
 */
export function anthropicStopReason(result: ChatTaskResult): 'end_turn' | 'max_tokens' {
  return result.output.finishReason === 'length' ? 'max_tokens' : 'end_turn';
}

export function anthropicUsage(result: ChatTaskResult | undefined): AnthropicMessage['usage'] {
  return { input_tokens: result?.usage.promptTokens ?? 0, output_tokens: result?.usage.completionTokens ?? 0 };
}

/** The whole answer (`result`), or the empty message that opens a stream. */
export function anthropicMessage(record: TaskRecord, result?: ChatTaskResult): AnthropicMessage {
  return {
    id: anthropicMessageId(record),
    type: 'message',
    role: 'assistant',
    model: record.spec.model,
    content: result === undefined ? [] : [{ type: 'text', text: result.output.text }],
    stop_reason: result === undefined ? null : anthropicStopReason(result),
    stop_sequence: null,
    usage: anthropicUsage(result),
    ...(result === undefined ? {} : { tessera: { verification: result.check } }),
  };
}
