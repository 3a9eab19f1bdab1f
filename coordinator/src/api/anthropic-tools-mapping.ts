import { assertDistinctToolNames, assertModelTakesTools } from './tool-offer.ts';
import { TOOL_LIMITS, TesseraError } from '@tessera/shared';
import type {
  AnthropicMessagesRequest,
  AnthropicResponseBlock,
  ChatTaskSpec,
  ModelCatalogEntry,
  TaskMessage,
  TaskToolCall,
} from '@tessera/shared';
import type { ChatTaskResult } from './stream-task-text.ts';
import { parseHermesToolCalls } from './tool-call-parsing.ts';

export type AnthropicToolFeatures = Pick<ChatTaskSpec, 'tools' | 'toolChoice' | 'parallelToolCalls'>;
type MessageParam = AnthropicMessagesRequest['messages'][number];
type Block = Exclude<MessageParam['content'], string>[number];

function refuse(param: string, message: string): never {
  throw new TesseraError('unsupported_parameter', message, param);
}

function invalid(param: string, message: string): never {
  throw new TesseraError('invalid_request', message, param);
}

/**
 * Custom tools and `tool_choice` as the task's, by the chat route's rules: tools only for a model whose
 * catalog entry has a tool format, nothing shaped for web-llm. `tool_choice: {type: 'none'}` leaves the tools
 * out of the prompt, so the model can only answer in text. Server tools are refused by name.
 */
export function anthropicToolFeatures(
  request: Pick<AnthropicMessagesRequest, 'tools' | 'tool_choice'>,
  model: ModelCatalogEntry,
): AnthropicToolFeatures {
  const tools = (request.tools ?? []).map((tool, index) => {
    if (!('name' in tool)) return refuse(`tools.${index}.type`, `Server tools ('${tool.type}') are not supported: send custom tools.`);
    return tool;
  });
  const choice = request.tool_choice ?? { type: 'auto' as const };
  if (tools.length === 0 && (choice.type === 'any' || choice.type === 'tool'))
    invalid('tool_choice', `tool_choice '${choice.type}' asks for a tool call, but no tools are given.`);
  if (choice.type === 'tool' && !tools.some((tool) => tool.name === choice.name))
    invalid('tool_choice.name', `tool_choice names '${choice.name}', which is not among the tools.`);
  const names = tools.map((tool) => tool.name);
  assertDistinctToolNames(names);
  if (tools.length === 0 || choice.type === 'none') return {};
  assertModelTakesTools(model);
  return {
    tools: tools.map((tool) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.input_schema,
    })),
    ...(choice.type === 'any' ? { toolChoice: 'required' as const } : {}),
    ...(choice.type === 'tool' ? { toolChoice: { name: choice.name } } : {}),
    ...(choice.disable_parallel_tool_use === true ? { parallelToolCalls: false } : {}),
  };
}

/** A tool result's text; images and documents in it are refused, naming where they are. */
function toolResultText(block: Extract<Block, { type: 'tool_result' }>, param: string): string {
  const content = block.content ?? '';
  const text =
    typeof content === 'string'
      ? content
      : content
          .map((part, index) => {
            if ('text' in part && part.type === 'text') return part.text;
            return refuse(
              `${param}.content.${index}.type`,
              `Tool results of type '${part.type}' are not supported: Tessera's models read text only.`,
            );
          })
          .join('');
  // The model's template has no place for the flag: the text says it.
  return block.is_error === true ? `Error: ${text}` : text;
}

/**
 * A message's content blocks as task messages, in their order: an assistant turn's text and `tool_use`
 * blocks are one assistant message with tool calls; a user turn's `tool_result` blocks are `tool` messages,
 * and its runs of text blocks user messages between them. Any other block is refused, naming where it is.
 */
export function anthropicTaskMessages(message: MessageParam, param: string): TaskMessage[] {
  if (typeof message.content === 'string') return [{ role: message.role, content: message.content }];
  const blocks = message.content;
  const unsupported = (block: Block, index: number): never =>
    refuse(`${param}.${index}.type`, `Content blocks of type '${block.type}' are not supported: Tessera's models read text only.`);
  if (message.role === 'assistant') {
    let content = '';
    const toolCalls: TaskToolCall[] = [];
    blocks.forEach((block, index) => {
      if ('text' in block && block.type === 'text') content += block.text;
      else if ('input' in block && block.type === 'tool_use')
        toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
      else if (block.type === 'tool_result') invalid(`${param}.${index}.type`, 'tool_result blocks belong in user messages.');
      else unsupported(block, index);
    });
    if (toolCalls.length > TOOL_LIMITS.maxTools)
      invalid(param, `An assistant message has ${toolCalls.length} tool_use blocks; at most ${TOOL_LIMITS.maxTools}.`);
    return [{ role: 'assistant', content, ...(toolCalls.length > 0 ? { toolCalls } : {}) }];
  }
  const messages: TaskMessage[] = [];
  blocks.forEach((block, index) => {
    if ('text' in block && block.type === 'text') {
      const last = messages.at(-1);
      if (last?.role === 'user') last.content += block.text;
      else messages.push({ role: 'user', content: block.text });
    } else if ('tool_use_id' in block && block.type === 'tool_result') {
      messages.push({ role: 'tool', content: toolResultText(block, `${param}.${index}`), toolCallId: block.tool_use_id });
    } else if (block.type === 'tool_use') {
      invalid(`${param}.${index}.type`, 'tool_use blocks belong in assistant messages: they are calls the model made.');
    } else unsupported(block, index);
  });
  return messages;
}

/** A tool call's id in Anthropic's style, the task's own, so a replay of the same task gives the same ids. */
export function anthropicToolUseId(taskId: string, index: number): string {
  return `toolu_${taskId}_${index}`;
}

export interface AnthropicAnswer {
  /** The text outside tool calls ('' when the answer is tool calls only). */
  text: string;
  content: AnthropicResponseBlock[];
  stopReason: 'end_turn' | 'max_tokens' | 'tool_use';
}

/**
 * The answer as Anthropic's content blocks: its text (left out when empty and there are tool calls), then a
 * `tool_use` block per call parsed out of the Hermes-format text when the task offered tools. A tab reports
 * `stop` for both its end of text and a stop sequence: without telling them apart, both are `end_turn`.
 */
export function anthropicAnswer(taskId: string, spec: ChatTaskSpec, result: ChatTaskResult): AnthropicAnswer {
  const { text, finishReason } = result.output;
  const cut = finishReason === 'length';
  if (spec.tools === undefined) return { text, content: [{ type: 'text', text }], stopReason: cut ? 'max_tokens' : 'end_turn' };
  const parsed = parseHermesToolCalls(text, 'call');
  const content = parsed.content ?? '';
  const calls = parsed.toolCalls.map((call, index) => ({
    type: 'tool_use' as const,
    id: anthropicToolUseId(taskId, index),
    name: call.function.name,
    // The parser keeps only calls whose arguments are a JSON object.
    input: JSON.parse(call.function.arguments) as Record<string, unknown>,
  }));
  return {
    text: content,
    content: [...(content === '' && calls.length > 0 ? [] : [{ type: 'text' as const, text: content }]), ...calls],
    stopReason: cut ? 'max_tokens' : calls.length > 0 ? 'tool_use' : 'end_turn',
  };
}
