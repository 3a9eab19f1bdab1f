import { z } from 'zod';
import { CHAT_LIMITS } from '../openai/chat-completion.ts';
import { tesseraExtensionSchema } from '../openai/tessera-extension.ts';

/** A text block, the one content block a text model can read. */
const anthropicTextBlockSchema = z.object({ type: z.literal('text'), text: z.string().max(CHAT_LIMITS.maxContentChars) });

/**
 * Any other content block (image, document, tool_use, tool_result, thinking…): accepted by the schema only so
 * that the mapping can refuse it with `unsupported_parameter` naming where it is, rather than a vague union
 * error.
 */
const anthropicOtherBlockSchema = z.object({ type: z.string().min(1).max(64) }).refine((block) => block.type !== 'text');

export const anthropicContentBlockSchema = z.union([anthropicTextBlockSchema, anthropicOtherBlockSchema]);

export const anthropicMessageParamSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string().max(CHAT_LIMITS.maxContentChars), z.array(anthropicContentBlockSchema).min(1).max(CHAT_LIMITS.maxMessages)]),
});

/**
 * The subset of Anthropic's Messages request Tessera serves (`POST /v1/messages`). As on the OpenAI routes,
 * unknown fields are ignored and known ones a text model cannot honour (`tools`, `tool_choice`, `top_k`,
 * enabled `thinking`, `output_config.format`, non-text blocks) are refused with `unsupported_parameter`.
 */
export const anthropicMessagesRequestSchema = z.object({
  model: z.string().min(1).max(200),
  max_tokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens),
  messages: z.array(anthropicMessageParamSchema).min(1).max(CHAT_LIMITS.maxMessages),
  system: z
    .union([z.string().max(CHAT_LIMITS.maxContentChars), z.array(anthropicContentBlockSchema).max(CHAT_LIMITS.maxMessages)])
    .optional(),
  stop_sequences: z.array(z.string().min(1)).max(CHAT_LIMITS.maxStopSequences).optional(),
  // Anthropic's range is 0–1, narrower than the task's 0–2.
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stream: z.boolean().optional(),
  metadata: z.object({ user_id: z.string().max(256).nullish() }).optional(),
  tools: z.array(z.unknown()).optional(),
  tool_choice: z.unknown().optional(),
  thinking: z.object({ type: z.string() }).optional(),
  /** `effort` is ignored (no model here reasons); `format` (structured output) is refused. */
  output_config: z.object({ format: z.unknown().optional(), effort: z.string().nullish() }).optional(),
});
export type AnthropicMessagesRequest = z.infer<typeof anthropicMessagesRequestSchema>;

export const anthropicStopReasonSchema = z.enum(['end_turn', 'max_tokens', 'stop_sequence']);

export const anthropicUsageSchema = z.object({ input_tokens: z.number().int().min(0), output_tokens: z.number().int().min(0) });

export const anthropicMessageSchema = z.object({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  model: z.string(),
  content: z.array(z.object({ type: z.literal('text'), text: z.string() })),
  stop_reason: anthropicStopReasonSchema.nullable(),
  stop_sequence: z.string().nullable(),
  usage: anthropicUsageSchema,
  /** Tessera's extension: how far the answer was verified (the SDK keeps unknown fields). */
  tessera: tesseraExtensionSchema.optional(),
});
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;

/** The server-sent events of `stream: true`, each sent as `event: <type>` with itself as `data`. */
export const anthropicStreamEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), message: anthropicMessageSchema }),
  z.object({
    type: z.literal('content_block_start'),
    index: z.number().int(),
    content_block: z.object({ type: z.literal('text'), text: z.string() }),
  }),
  z.object({ type: z.literal('ping') }),
  z.object({
    type: z.literal('content_block_delta'),
    index: z.number().int(),
    delta: z.object({ type: z.literal('text_delta'), text: z.string() }),
  }),
  z.object({ type: z.literal('content_block_stop'), index: z.number().int() }),
  z.object({
    type: z.literal('message_delta'),
    delta: z.object({ stop_reason: anthropicStopReasonSchema, stop_sequence: z.string().nullable() }),
    usage: anthropicUsageSchema,
    tessera: tesseraExtensionSchema.optional(),
  }),
  z.object({ type: z.literal('message_stop') }),
  z.object({ type: z.literal('error'), error: z.object({ type: z.string(), message: z.string() }) }),
]);
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEventSchema>;
