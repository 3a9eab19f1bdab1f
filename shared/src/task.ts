import { z } from 'zod';
import { CHAT_LIMITS } from './openai/chat-completion.ts';
import { EMBEDDING_LIMITS } from './openai/embedding.ts';
import { TOOL_LIMITS, taskResponseFormatSchema, taskToolCallSchema, taskToolChoiceSchema, taskToolSchema } from './tools/tool-schemas.ts';

export const taskKindSchema = z.enum(['chat', 'embeddings']);
export type TaskKind = z.infer<typeof taskKindSchema>;

/**
 * A chat message after the API flattened content parts to text. An assistant turn may carry the tool calls
 * it made; a `tool` turn answers one of them (`toolCallId`).
 */
export const taskMessageSchema = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.string().max(CHAT_LIMITS.maxContentChars),
  toolCalls: z.array(taskToolCallSchema).min(1).max(TOOL_LIMITS.maxTools).optional(),
  toolCallId: z.string().min(1).max(128).optional(),
});
export type TaskMessage = z.infer<typeof taskMessageSchema>;

export const chatParamsSchema = z.strictObject({
  maxTokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens),
  /** 0 means greedy decoding, which guards can verify exactly. */
  temperature: z.number().min(0).max(2),
  topP: z.number().gt(0).max(1),
  seed: z.number().int().nullable(),
  stop: z.array(z.string().min(1)).max(CHAT_LIMITS.maxStopSequences),
  /**
   * The rest shape the logits before a token is chosen; tabs and guards apply them identically
   * (client/src/engine/logits-shaping.ts). Absent means neutral, as in tasks stored before they existed.
   * `logitBias`: token id → bias added to its logit, as OpenAI's `logit_bias`.
   */
  logitBias: z.record(z.string().regex(/^\d{1,7}$/), z.number().min(-100).max(100)).optional(),
  /** OpenAI's penalties: logit − count × frequencyPenalty − (count > 0) × presencePenalty, counted over generated tokens. */
  frequencyPenalty: z.number().min(-2).max(2).optional(),
  presencePenalty: z.number().min(-2).max(2).optional(),
  /** Return each token's log probability and this many alternatives (0–20); absent: no log probabilities. */
  topLogprobs: z.number().int().min(0).max(20).optional(),
});
export type ChatParams = z.infer<typeof chatParamsSchema>;

/** What a tab is asked to compute: model, input and decoding parameters, nothing about the caller. */
export const taskSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('chat'),
    model: z.string().min(1),
    messages: z.array(taskMessageSchema).min(1).max(CHAT_LIMITS.maxMessages),
    params: chatParamsSchema,
    /** Tools rendered into the prompt by the model's template; tool calls are constrained to their schemas. */
    tools: z.array(taskToolSchema).min(1).max(TOOL_LIMITS.maxTools).optional(),
    toolChoice: taskToolChoiceSchema.optional(),
    /** False: at most one tool call (OpenAI's `parallel_tool_calls`); absent or true: any number. */
    parallelToolCalls: z.boolean().optional(),
    responseFormat: taskResponseFormatSchema.optional(),
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

/** A generated token's natural-log probability under the shaped logits, with the `topLogprobs` best `[tokenId, logprob]`. */
export const tokenLogprobSchema = z.strictObject({
  logprob: z.number().max(0),
  top: z.array(z.tuple([z.number().int().min(0), z.number().max(0)])).max(20),
});
export type TokenLogprob = z.infer<typeof tokenLogprobSchema>;

export const taskOutputSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('chat'),
    text: z.string().max(CHAT_LIMITS.maxTokens * 64),
    finishReason: z.enum(['stop', 'length']),
    /** Generated token ids, so a guard can re-score them in one forward pass (issue 3). */
    tokenIds: z.array(z.number().int().min(0)).max(CHAT_LIMITS.maxTokens),
    /** When the task asked for them: per token, its log probability and the top alternatives, checked by guards. */
    logprobs: z.array(tokenLogprobSchema).max(CHAT_LIMITS.maxTokens).optional(),
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
  if (spec.kind === 'chat') {
    if (output.kind !== 'chat' || output.tokenIds.length > spec.params.maxTokens) return false;
    const top = spec.params.topLogprobs;
    // Log probabilities come exactly when asked for: one per token, each with the asked number of alternatives.
    if (top === undefined) return output.logprobs === undefined;
    return output.logprobs?.length === output.tokenIds.length && output.logprobs.every((entry) => entry.top.length <= top);
  }
  return output.kind === 'embeddings' && output.vectors.length === spec.texts.length;
}
