import { z } from 'zod';
import { tesseraExtensionSchema } from './tessera-extension.ts';
import { jsonSchemaObjectSchema, TOOL_LIMITS, toolNameSchema } from '../tools/tool-schemas.ts';

export const CHAT_LIMITS = { maxMessages: 256, maxContentChars: 100_000, maxTokens: 4096, maxStopSequences: 4 } as const;

const textPartSchema = z.object({ type: z.literal('text'), text: z.string().max(CHAT_LIMITS.maxContentChars) });

/** A tool call as OpenAI writes it: in an assistant message of the history, and in a response. */
export const chatToolCallSchema = z.object({
  id: z.string().min(1).max(128),
  type: z.literal('function'),
  function: z.object({ name: toolNameSchema, arguments: z.string().max(TOOL_LIMITS.maxArgumentsChars) }),
});
export type ChatToolCall = z.infer<typeof chatToolCallSchema>;

const messageContentSchema = z.union([z.string().max(CHAT_LIMITS.maxContentChars), z.array(textPartSchema).min(1)]);

export const chatMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer', 'user']), content: messageContentSchema, name: z.string().max(64).optional() }),
  z
    .object({
      role: z.literal('assistant'),
      // null (or absent) when the turn is tool calls only.
      content: messageContentSchema.nullish(),
      name: z.string().max(64).optional(),
      tool_calls: z.array(chatToolCallSchema).min(1).max(TOOL_LIMITS.maxTools).optional(),
    })
    .refine((message) => message.content != null || message.tool_calls !== undefined, {
      message: 'an assistant message needs content or tool_calls',
    }),
  z.object({ role: z.literal('tool'), content: messageContentSchema, tool_call_id: z.string().min(1).max(128) }),
]);
export type ChatMessageInput = z.infer<typeof chatMessageSchema>;

export const chatToolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: toolNameSchema,
    description: z.string().max(4_000).optional(),
    parameters: jsonSchemaObjectSchema.optional(),
    strict: z.boolean().nullish(),
  }),
});

export const chatToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: toolNameSchema }) }),
]);

export const chatResponseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
      description: z.string().max(4_000).optional(),
      schema: jsonSchemaObjectSchema.optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

/**
 * The subset of OpenAI's chat completion request Tessera serves. Unknown fields are ignored (clients add
 * new ones often); known fields with values we cannot honour are refused with `unsupported_parameter`.
 */
export const chatCompletionRequestSchema = z.object({
  model: z.string().min(1).max(200),
  messages: z.array(chatMessageSchema).min(1).max(CHAT_LIMITS.maxMessages),
  max_tokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens).nullish(),
  max_completion_tokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(CHAT_LIMITS.maxStopSequences)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().max(256).optional(),
  tools: z.array(chatToolSchema).max(TOOL_LIMITS.maxTools).nullish(),
  tool_choice: chatToolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  // The deprecated function-calling fields: known, and refused by name (coordinator/src/api/unsupported-chat-parameters.ts).
  functions: z.array(z.unknown()).nullish(),
  function_call: z.unknown().optional(),
  response_format: chatResponseFormatSchema.nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  logit_bias: z.record(z.string().regex(/^\d{1,7}$/, 'logit_bias keys are token ids'), z.number().min(-100).max(100)).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const finishReasonSchema = z.enum(['stop', 'length', 'tool_calls']);
export type FinishReason = z.infer<typeof finishReasonSchema>;

export const completionUsageSchema = z.object({
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0),
  total_tokens: z.number().int().min(0),
});
export type CompletionUsage = z.infer<typeof completionUsageSchema>;

const tokenLogprobFields = {
  token: z.string(),
  logprob: z.number(),
  /** The token's UTF-8 bytes (a token may hold part of a character). */
  bytes: z.array(z.number().int().min(0).max(255)).nullable(),
};

/** `logprobs` of a choice: per generated token, its log probability and the most likely alternatives. */
export const chatLogprobsSchema = z.object({
  content: z.array(z.object({ ...tokenLogprobFields, top_logprobs: z.array(z.object(tokenLogprobFields)) })).nullable(),
  refusal: z.null(),
});
export type ChatLogprobs = z.infer<typeof chatLogprobsSchema>;

/** A streamed tool call: the first delta of a call has its id and name, arguments follow (here: all at once). */
export const chatToolCallDeltaSchema = z.object({
  index: z.number().int().min(0),
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().optional(), arguments: z.string().optional() }),
});

export const chatCompletionResponseSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({
        role: z.literal('assistant'),
        content: z.string().nullable(),
        refusal: z.null(),
        tool_calls: z.array(chatToolCallSchema).optional(),
      }),
      logprobs: chatLogprobsSchema.nullable(),
      finish_reason: finishReasonSchema,
    }),
  ),
  usage: completionUsageSchema,
  /** Tessera's extension: how far the answer was verified (OpenAI clients ignore unknown fields). */
  tessera: tesseraExtensionSchema.optional(),
});
export type ChatCompletionResponse = z.infer<typeof chatCompletionResponseSchema>;

export const chatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({
        role: z.literal('assistant').optional(),
        content: z.string().optional(),
        tool_calls: z.array(chatToolCallDeltaSchema).optional(),
      }),
      logprobs: chatLogprobsSchema.nullable(),
      finish_reason: finishReasonSchema.nullable(),
    }),
  ),
  usage: completionUsageSchema.nullable().optional(),
  /** On the chunk that carries the finish reason: how far the answer was verified. */
  tessera: tesseraExtensionSchema.optional(),
});
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;
