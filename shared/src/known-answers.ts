import { z } from 'zod';
import { modelDtypeSchema, type ModelDtype } from './model-dtype.ts';
import type { TaskOutput, TaskSpec } from './task.ts';
import { VERIFICATION_TOLERANCES } from './verification/verification-tolerances.ts';
import { cosineSimilarity } from './vector-math.ts';

/**
 * A chat prompt with the answer a trusted reference run gave at greedy decoding: the text of the
 * generated tokens and how generation ended. `stop` means the model chose end-of-sequence within
 * `maxTokens`, so any larger budget gives the same answer; `length` means the budget ran out.
 */
export const chatKnownAnswerSchema = z.strictObject({
  kind: z.literal('chat'),
  prompt: z.string().min(1).max(4000),
  maxTokens: z.number().int().min(1).max(4096),
  expectedCompletion: z.string().max(20_000),
  finishReason: z.enum(['stop', 'length']),
  /** The weights it holds for; a tab on a backend that loads another dtype is not asked it. None: any. */
  dtype: modelDtypeSchema.optional(),
});
export type ChatKnownAnswer = z.infer<typeof chatKnownAnswerSchema>;

/** A text with the embedding a trusted reference run gave (normalized); an answer passes at the guards' cosine bound. */
export const embeddingKnownAnswerSchema = z.strictObject({
  kind: z.literal('embeddings'),
  text: z.string().min(1).max(4000),
  expectedVector: z.array(z.number()).min(1).max(16_384),
  dtype: modelDtypeSchema.optional(),
});
export type EmbeddingKnownAnswer = z.infer<typeof embeddingKnownAnswerSchema>;

/** One known-answer check of a model (a canary): what a tab is asked, and what an honest tab answers. */
export const knownAnswerSchema = z.discriminatedUnion('kind', [chatKnownAnswerSchema, embeddingKnownAnswerSchema]);
export type KnownAnswer = z.infer<typeof knownAnswerSchema>;

/** The known answers that hold for a tab loading `dtype` (those recorded for it, and those for any). */
export function knownAnswersFor(answers: readonly KnownAnswer[], dtype: ModelDtype | undefined): KnownAnswer[] {
  return answers.filter((answer) => answer.dtype === undefined || answer.dtype === dtype);
}

/**
 * The token budgets a check of `answer` may ask for. A `stop` answer ended by the model's own choice, so
 * any budget from its own up to twice that gives it again: checks vary it as real traffic does. A
 * `length` answer holds only at its exact budget.
 */
export function knownAnswerBudgets(answer: ChatKnownAnswer, contextLength: number): { min: number; max: number } {
  if (answer.finishReason === 'length') return { min: answer.maxTokens, max: answer.maxTokens };
  return { min: answer.maxTokens, max: Math.max(answer.maxTokens, Math.min(answer.maxTokens * 2, contextLength, 4096)) };
}

/** The task that asks `answer` of model `modelId`: shaped like any API task (greedy chat, or one text to embed). */
export function knownAnswerSpec(modelId: string, answer: KnownAnswer, maxTokens?: number): TaskSpec {
  if (answer.kind === 'embeddings') return { kind: 'embeddings', model: modelId, texts: [answer.text] };
  return {
    kind: 'chat',
    model: modelId,
    messages: [{ role: 'user', content: answer.prompt }],
    params: { maxTokens: maxTokens ?? answer.maxTokens, temperature: 0, topP: 1, seed: null, stop: [] },
  };
}

/**
 * The known answer a task asks for, if it is one of `answers` (a greedy chat of the exact prompt within
 * its budgets, or an embedding of the exact text). Test doubles of honest tabs use it to answer checks.
 */
export function knownAnswerAsked(answers: readonly KnownAnswer[], spec: TaskSpec): KnownAnswer | undefined {
  return answers.find((answer) => {
    if (answer.kind === 'embeddings') return spec.kind === 'embeddings' && spec.texts.length === 1 && spec.texts[0] === answer.text;
    if (spec.kind !== 'chat' || spec.params.temperature !== 0 || spec.params.stop.length > 0) return false;
    const [message, ...rest] = spec.messages;
    if (rest.length > 0 || message?.role !== 'user' || message.content !== answer.prompt) return false;
    return answer.finishReason === 'stop' ? spec.params.maxTokens >= answer.maxTokens : spec.params.maxTokens === answer.maxTokens;
  });
}

export type KnownAnswerJudgement = { ok: true } | { ok: false; reason: string };

/** Whether `output` gives `answer`: the exact text and ending for chat, cosine ≥ the guards' bound for embeddings. */
export function judgeKnownAnswer(answer: KnownAnswer, output: TaskOutput): KnownAnswerJudgement {
  if (answer.kind === 'chat') {
    if (output.kind !== 'chat') return { ok: false, reason: 'answered a chat check with embeddings' };
    if (output.text !== answer.expectedCompletion)
      return { ok: false, reason: `answered ${JSON.stringify(output.text.slice(0, 80))} instead of the known answer` };
    if (output.finishReason !== answer.finishReason)
      return { ok: false, reason: `ended with ${output.finishReason} where the known answer ends with ${answer.finishReason}` };
    return { ok: true };
  }
  if (output.kind !== 'embeddings') return { ok: false, reason: 'answered an embedding check with text' };
  const [vector, ...rest] = output.vectors;
  if (vector === undefined || rest.length > 0) return { ok: false, reason: `answered ${output.vectors.length} vectors for one text` };
  if (vector.length !== answer.expectedVector.length)
    return { ok: false, reason: `answered ${vector.length} dimensions where the known answer has ${answer.expectedVector.length}` };
  const cosine = cosineSimilarity(vector, answer.expectedVector);
  if (!(cosine >= VERIFICATION_TOLERANCES.embeddingMinCosine))
    return { ok: false, reason: `answered a vector at cosine ${cosine.toFixed(6)} to the known one` };
  return { ok: true };
}
