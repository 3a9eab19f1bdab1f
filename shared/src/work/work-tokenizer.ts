import { assertNever } from '../assert-never.ts';
import { formatPlainPrompt } from '../chat-prompt.ts';
import type { ModelCatalogEntry } from '../model-catalog.ts';
import type { TaskMessage } from '../task.ts';
import type { TaskTool } from '../tools/tool-schemas.ts';

/**
 * The part of a transformers.js tokenizer (`PreTrainedTokenizer`) that building prompts and counting work
 * need. The tab's engine, the guard and the coordinator each pass their own, loaded from the same files,
 * so all three build the same prompt and decode the same text.
 */
export interface WorkTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(tokenIds: number[], options: { skip_special_tokens: boolean }): string;
  apply_chat_template(
    messages: TemplateMessage[],
    options: { tokenize: false; add_generation_prompt: true; tools?: TemplateTool[] },
  ): unknown;
}

/** A message as Hugging Face chat templates read it (tool calls with their arguments as an object). */
export interface TemplateMessage {
  role: string;
  content: string;
  tool_calls?: { type: 'function'; function: { name: string; arguments: unknown } }[];
  tool_call_id?: string;
}

/** A tool as Hugging Face chat templates read it: OpenAI's shape. */
export interface TemplateTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

/** Arguments as the template re-renders them: the object the model wrote, or its text when it is not JSON. */
function argumentsValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The chat roles templates know: `developer` is OpenAI's newer name for `system`. */
function templateMessages(messages: readonly TaskMessage[]): TemplateMessage[] {
  return messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content: message.content,
    ...(message.toolCalls === undefined
      ? {}
      : {
          tool_calls: message.toolCalls.map((call) => ({
            type: 'function' as const,
            function: { name: call.name, arguments: argumentsValue(call.arguments) },
          })),
        }),
    ...(message.toolCallId === undefined ? {} : { tool_call_id: message.toolCallId }),
  }));
}

function templateTools(tools: readonly TaskTool[]): TemplateTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.parameters ?? { type: 'object', properties: {} },
    },
  }));
}

/**
 * The prompt's token ids: `promptFormat: 'plain'` → `formatPlainPrompt`, encoded with the tokenizer's
 * special tokens; `'chat-template'` → the tokenizer's chat template with the generation prompt, encoded
 * without adding special tokens again (the template already wrote any BOS token). `tools`, when the task
 * offers some, go to the template, which renders them in the model's own format.
 */
export function promptTokenIds(
  tokenizer: WorkTokenizer,
  format: ModelCatalogEntry['promptFormat'],
  messages: readonly TaskMessage[],
  tools?: readonly TaskTool[],
): number[] {
  switch (format) {
    case 'plain':
      return tokenizer.encode(formatPlainPrompt(messages));
    case 'chat-template': {
      const prompt = tokenizer.apply_chat_template(templateMessages(messages), {
        tokenize: false,
        add_generation_prompt: true,
        ...(tools === undefined ? {} : { tools: templateTools(tools) }),
      });
      if (typeof prompt !== 'string') throw new TypeError('the chat template did not render to text');
      return tokenizer.encode(prompt, { add_special_tokens: false });
    }
    default:
      return assertNever(format, 'prompt format');
  }
}

/** The text generated tokens decode to, special tokens left out. */
export function decodeGenerated(tokenizer: WorkTokenizer, tokenIds: readonly number[]): string {
  return tokenIds.length === 0 ? '' : tokenizer.decode([...tokenIds], { skip_special_tokens: true });
}
