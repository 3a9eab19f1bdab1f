import { z } from 'zod';
import { CHAT_LIMITS, completionUsageSchema, finishReasonSchema } from './chat-completion.ts';
import { tesseraExtensionSchema } from './tessera-extension.ts';

/**
 * OpenAI's legacy text completion request (`POST /v1/completions`), the subset Tessera serves: one prompt
 * string (or an array of one). Token-id prompts, several prompts, `suffix`, `echo`, `logprobs` and
 * `best_of` > 1 parse here and are refused with `unsupported_parameter` by the mapping, naming the field.
 */
export const completionRequestSchema = z.object({
  model: z.string().min(1).max(200),
  prompt: z.union([
    z.string().max(CHAT_LIMITS.maxContentChars),
    z.array(z.string().max(CHAT_LIMITS.maxContentChars)).min(1),
    z.array(z.number().int()),
    z.array(z.array(z.number().int())),
  ]),
  max_tokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  best_of: z.number().int().min(0).max(20).nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(CHAT_LIMITS.maxStopSequences)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  suffix: z.string().nullish(),
  echo: z.boolean().nullish(),
  logprobs: z.number().int().min(0).max(5).nullish(),
  user: z.string().max(256).optional(),
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

/** A whole completion, and (with `stream: true`) each streamed piece: the same object, `text` a delta. */
export const completionSchema = z.object({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      text: z.string(),
      logprobs: z.null(),
      finish_reason: finishReasonSchema.nullable(),
    }),
  ),
  usage: completionUsageSchema.nullable().optional(),
  /** Tessera's extension: how far the answer was verified (on the whole answer, and the streamed piece that ends it). */
  tessera: tesseraExtensionSchema.optional(),
});
export type Completion = z.infer<typeof completionSchema>;
