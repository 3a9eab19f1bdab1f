import { z } from 'zod';
import { CHAT_LIMITS } from './openai/chat-completion.ts';
import { EMBEDDING_LIMITS } from './openai/embedding.ts';

export const taskKindSchema = z.enum(['chat', 'embeddings']);
export type TaskKind = z.infer<typeof taskKindSchema>;

/** A chat message after the API flattened content parts to text. */
export const taskMessageSchema = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.string().max(CHAT_LIMITS.maxContentChars),
});
export type TaskMessage = z.infer<typeof taskMessageSchema>;

export const chatParamsSchema = z.strictObject({
  maxTokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens),
  /** 0 means greedy decoding, which guards can verify exactly. */
  temperature: z.number().min(0).max(2),
  topP: z.number().gt(0).max(1),
  seed: z.number().int().nullable(),
  stop: z.array(z.string().min(1)).max(CHAT_LIMITS.maxStopSequences),
});
export type ChatParams = z.infer<typeof chatParamsSchema>;

/** What a tab is asked to compute: model, input and decoding parameters, nothing about the caller. */
export const taskSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('chat'),
    model: z.string().min(1),
    messages: z.array(taskMessageSchema).min(1).max(CHAT_LIMITS.maxMessages),
    params: chatParamsSchema,
  }),
  z.strictObject({
    kind: z.literal('embeddings'),
    model: z.string().min(1),
    texts: z.array(z.string().min(1).max(EMBEDDING_LIMITS.maxInputChars)).min(1).max(EMBEDDING_LIMITS.maxInputs),
  }),
]);
export type TaskSpec = z.infer<typeof taskSpecSchema>;
export type ChatTaskSpec = Extract<TaskSpec, { kind: 'chat' }>;
export type EmbeddingsTaskSpec = Extract<TaskSpec, { kind: 'embeddings' }>;

export const taskOutputSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('chat'),
    text: z.string().max(CHAT_LIMITS.maxTokens * 64),
    finishReason: z.enum(['stop', 'length']),
    /** Generated token ids, so a guard can re-score them in one forward pass (issue 3). */
    tokenIds: z.array(z.number().int().min(0)).max(CHAT_LIMITS.maxTokens),
  }),
  z.strictObject({
    kind: z.literal('embeddings'),
    vectors: z.array(z.array(z.number()).min(1).max(16_384)).min(1).max(EMBEDDING_LIMITS.maxInputs),
  }),
]);
export type TaskOutput = z.infer<typeof taskOutputSchema>;

export const taskUsageSchema = z.strictObject({
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
});
export type TaskUsage = z.infer<typeof taskUsageSchema>;

/** Measured in the tab. */
export const taskTimingsSchema = z.strictObject({
  firstTokenMs: z.number().min(0).nullable(),
  totalMs: z.number().min(0),
});
export type TaskTimings = z.infer<typeof taskTimingsSchema>;

export const taskStatusSchema = z.enum(['queued', 'assigned', 'succeeded', 'failed', 'cancelled']);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

export function isTerminalStatus(status: TaskStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

/** Whether the output matches the kind of task it claims to answer (a hostile tab may send another). */
export function outputMatchesSpec(spec: TaskSpec, output: TaskOutput): boolean {
  if (spec.kind === 'chat') return output.kind === 'chat' && output.tokenIds.length <= spec.params.maxTokens;
  return output.kind === 'embeddings' && output.vectors.length === spec.texts.length;
}
