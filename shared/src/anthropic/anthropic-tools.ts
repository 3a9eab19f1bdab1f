import { z } from 'zod';
import { CHAT_LIMITS } from '../openai/chat-completion.ts';
import { jsonSchemaObjectSchema, TOOL_LIMITS, toolNameSchema } from '../tools/tool-schemas.ts';
import { knownOrOther, textOrBlocks } from './anthropic-union.ts';

// Anthropic's tool use (`tools`, `tool_choice`, `tool_use` and `tool_result` content blocks), the part a text
// model with a tool-call format can serve: custom tools. Server tools (`web_search_…`, `bash_…`) and other
// block kinds parse here so that the mapping can refuse them with `unsupported_parameter` naming the field.

const TEXT = z.string().max(CHAT_LIMITS.maxContentChars);

/** A text block, the one content block a text model can read. */
export const anthropicTextBlockSchema = z.object({ type: z.literal('text'), text: TEXT });

/** Tool input as Anthropic sends and answers it: a JSON object, bounded as a task's call arguments are. */
export const anthropicToolInputSchema = z
  .record(z.string(), z.unknown())
  .refine((input) => JSON.stringify(input).length <= TOOL_LIMITS.maxArgumentsChars, {
    message: `a tool input is at most ${TOOL_LIMITS.maxArgumentsChars} characters of JSON`,
  });

/** A tool call the model made earlier, in an assistant message of the history. */
export const anthropicToolUseBlockSchema = z.object({
  type: z.literal('tool_use'),
  id: z.string().min(1).max(128),
  name: toolNameSchema,
  input: anthropicToolInputSchema,
});

/** The caller's result of a tool call, in a user message: text, or text blocks (images and documents are refused). */
export const anthropicToolResultBlockSchema = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1).max(128),
  content: textOrBlocks(knownOrOther(anthropicTextBlockSchema, ['text']), 0).optional(),
  is_error: z.boolean().optional(),
});

const KNOWN_BLOCKS = ['text', 'tool_use', 'tool_result'];

/** A content block of a message: text, tool use and tool results are read; any other kind is refused by the mapping. */
export const anthropicContentBlockSchema = knownOrOther(
  z.discriminatedUnion('type', [anthropicTextBlockSchema, anthropicToolUseBlockSchema, anthropicToolResultBlockSchema]),
  KNOWN_BLOCKS,
);
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlockSchema>;

/** A custom tool: its `input_schema` is a JSON Schema of an object, rendered into the prompt and enforced by the tab's grammar. */
export const anthropicCustomToolSchema = z.object({
  type: z.literal('custom').optional(),
  name: toolNameSchema,
  description: z.string().max(4_000).optional(),
  input_schema: jsonSchemaObjectSchema.refine((schema) => schema.type === 'object', {
    message: 'input_schema is a JSON schema of type "object"',
  }),
});
export type AnthropicCustomTool = z.infer<typeof anthropicCustomToolSchema>;

export const anthropicToolsSchema = z.array(knownOrOther(anthropicCustomToolSchema, ['custom'])).max(TOOL_LIMITS.maxTools);

const parallel = { disable_parallel_tool_use: z.boolean().optional() };

/** `auto`: text or tool calls; `any`: at least one call; `tool`: that one; `none`: text only (the tools left out of the prompt). */
export const anthropicToolChoiceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), ...parallel }),
  z.object({ type: z.literal('any'), ...parallel }),
  z.object({ type: z.literal('tool'), name: toolNameSchema, ...parallel }),
  z.object({ type: z.literal('none') }),
]);
export type AnthropicToolChoice = z.infer<typeof anthropicToolChoiceSchema>;

/** A tool call in an answer: the caller runs it and sends a `tool_result` with its `id` as `tool_use_id`. */
export const anthropicToolUseContentSchema = z.object({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
});

/** An answer's content: its text, then its tool calls. */
export const anthropicResponseBlockSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  anthropicToolUseContentSchema,
]);
export type AnthropicResponseBlock = z.infer<typeof anthropicResponseBlockSchema>;
