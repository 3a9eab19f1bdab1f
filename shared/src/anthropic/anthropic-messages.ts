import { z } from 'zod';
import { CHAT_LIMITS } from '../openai/chat-completion.ts';
import { tesseraExtensionSchema } from '../openai/tessera-extension.ts';
import {
  anthropicContentBlockSchema,
  anthropicResponseBlockSchema,
  anthropicToolChoiceSchema,
  anthropicToolsSchema,
} from './anthropic-tools.ts';
import { textOrBlocks } from './anthropic-union.ts';

export * from './anthropic-tools.ts';

export const anthropicMessageParamSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: textOrBlocks(anthropicContentBlockSchema, 1),
});

/**
 * The subset of Anthropic's Messages request Tessera serves (`POST /v1/messages`): text, and custom tools for
 * a model with a tool-call format. As on the OpenAI routes, unknown fields are ignored and known ones a text
 * model cannot honour (server tools, `top_k`, enabled `thinking`, `output_config.format`, image and other
 * blocks) are refused with `unsupported_parameter`.
 */
export const anthropicMessagesRequestSchema = z.object({
  model: z.string().min(1).max(200),
  max_tokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens),
  messages: z.array(anthropicMessageParamSchema).min(1).max(CHAT_LIMITS.maxMessages),
  system: textOrBlocks(anthropicContentBlockSchema, 0).optional(),
  stop_sequences: z.array(z.string().min(1)).max(CHAT_LIMITS.maxStopSequences).optional(),
  // Anthropic's range is 0–1, narrower than the task's 0–2.
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stream: z.boolean().optional(),
  metadata: z.object({ user_id: z.string().max(256).nullish() }).optional(),
  tools: anthropicToolsSchema.optional(),
  tool_choice: anthropicToolChoiceSchema.optional(),
  thinking: z.object({ type: z.string() }).optional(),
  /** `effort` is ignored (no model here reasons); `format` (structured output) is refused. */
  output_config: z.object({ format: z.unknown().optional(), effort: z.string().nullish() }).optional(),
});
export type AnthropicMessagesRequest = z.infer<typeof anthropicMessagesRequestSchema>;

export const anthropicStopReasonSchema = z.enum(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use']);

export const anthropicUsageSchema = z.object({ input_tokens: z.number().int().min(0), output_tokens: z.number().int().min(0) });

export const anthropicMessageSchema = z.object({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  model: z.string(),
  content: z.array(anthropicResponseBlockSchema),
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
    /** A tool call's block starts with an empty `input`, filled by its `input_json_delta`. */
    content_block: anthropicResponseBlockSchema,
  }),
  z.object({ type: z.literal('ping') }),
  z.object({
    type: z.literal('content_block_delta'),
    index: z.number().int(),
    delta: z.discriminatedUnion('type', [
      z.object({ type: z.literal('text_delta'), text: z.string() }),
      /** A tool call's input: here the whole JSON text in one delta, sent once the answer is complete. */
      z.object({ type: z.literal('input_json_delta'), partial_json: z.string() }),
    ]),
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
