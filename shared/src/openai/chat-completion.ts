import { z } from 'zod';
import { tesseraExtensionSchema } from './tessera-extension.ts';

export const CHAT_LIMITS = { maxMessages: 256, maxContentChars: 100_000, maxTokens: 4096, maxStopSequences: 4 } as const;

const textPartSchema = z.object({ type: z.literal('text'), text: z.string().max(CHAT_LIMITS.maxContentChars) });

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string().max(CHAT_LIMITS.maxContentChars), z.array(textPartSchema).min(1)]),
  name: z.string().max(64).optional(),
});
export type ChatMessageInput = z.infer<typeof chatMessageSchema>;

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
  // Known, and refused unless neutral (coordinator/src/api/unsupported-chat-parameters.ts): dropping them
  // silently would hand a client text where it expects tool calls, JSON or log probabilities.
  tools: z.array(z.unknown()).nullish(),
  tool_choice: z.unknown().optional(),
  parallel_tool_calls: z.boolean().nullish(),
  functions: z.array(z.unknown()).nullish(),
  function_call: z.unknown().optional(),
  response_format: z
    .object({ type: z.string().max(100) })
    .loose()
    .nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const finishReasonSchema = z.enum(['stop', 'length']);
export type FinishReason = z.infer<typeof finishReasonSchema>;

export const completionUsageSchema = z.object({
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0),
  total_tokens: z.number().int().min(0),
});
export type CompletionUsage = z.infer<typeof completionUsageSchema>;

export const chatCompletionResponseSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      logprobs: z.null(),
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
      delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
      logprobs: z.null(),
      finish_reason: finishReasonSchema.nullable(),
    }),
  ),
  usage: completionUsageSchema.nullable().optional(),
  /** On the chunk that carries the finish reason: how far the answer was verified. */
  tessera: tesseraExtensionSchema.optional(),
});
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;
