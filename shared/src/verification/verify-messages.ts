import { z } from 'zod';
import { CHAT_LIMITS } from '../openai/chat-completion.ts';
import { EMBEDDING_LIMITS } from '../openai/embedding.ts';
import { taskOutputSchema, taskSpecSchema, tokenLogprobSchema } from '../task.ts';
import { errorCodeSchema } from '../error-codes.ts';
import { signatureSchema } from '../signing/signed-payloads.ts';

export const jobIdSchema = z.uuid().brand<'VerifyJobId'>();
export type VerifyJobId = z.infer<typeof jobIdSchema>;

/**
 * How the guard's model scores one token the worker claims to have generated, at the position where the
 * worker generated it. Everything a decision needs, whatever the decoding parameters were.
 */
export const tokenScoreSchema = z.strictObject({
  /** Guard's logit for the worker's token. */
  chosenLogit: z.number(),
  /** Guard's largest logit at that position. */
  maxLogit: z.number(),
  /** How many tokens the guard scores strictly higher than the worker's token (0 = its top choice). */
  rank: z.number().int().min(0),
  /** log P(token) under the task's temperature (natural log; 0 for temperature 0). */
  logProb: z.number(),
  /** E[log P] over the guard's distribution at that position (minus its entropy; 0 for temperature 0). */
  expectedLogProb: z.number(),
  /** Var[log P] over the guard's distribution at that position (0 for temperature 0). */
  logProbVariance: z.number().min(0),
});
export type TokenScore = z.infer<typeof tokenScoreSchema>;

/**
 * `verify:assign`: a guard is asked to check a claimed output for a task. It is never told which tab
 * produced the claim.
 */
export const verifyAssignSchema = z.strictObject({
  jobId: jobIdSchema,
  leaseMs: z.number().int().min(100),
  task: taskSpecSchema,
  claim: taskOutputSchema,
});
export type VerifyAssign = z.infer<typeof verifyAssignSchema>;

export const verdictSchema = z.enum(['valid', 'invalid']);
export type Verdict = z.infer<typeof verdictSchema>;

export const chatEvidenceSchema = z.strictObject({
  kind: z.literal('chat'),
  /** One score per claimed token, in order; computed in one forward pass over prompt + claimed tokens. */
  scores: z.array(tokenScoreSchema).max(CHAT_LIMITS.maxTokens),
  /** The guard's tokenizer decoding of the claimed token ids. */
  decodedText: z.string().max(CHAT_LIMITS.maxTokens * 64),
  /** Score of the end-of-sequence token right after the last claimed token; null if the model has none. */
  endScore: tokenScoreSchema.nullable(),
  promptTokens: z.number().int().min(0),
  /** When the task asked for log probabilities: the guard's own, for the claimed tokens, from the same shaped rows. */
  logprobs: z.array(tokenLogprobSchema).max(CHAT_LIMITS.maxTokens).optional(),
});
export type ChatEvidence = z.infer<typeof chatEvidenceSchema>;

export const embeddingEvidenceSchema = z.strictObject({
  kind: z.literal('embeddings'),
  /** Cosine of each claimed vector to the guard's own. */
  cosines: z.array(z.number().min(-1.0001).max(1.0001)).max(EMBEDDING_LIMITS.maxInputs),
});
export type EmbeddingEvidence = z.infer<typeof embeddingEvidenceSchema>;

export const verifyEvidenceSchema = z.discriminatedUnion('kind', [chatEvidenceSchema, embeddingEvidenceSchema]);
export type VerifyEvidence = z.infer<typeof verifyEvidenceSchema>;

/** `verify:verdict`: the guard's judgement with the evidence it rests on, signed by the guard's key. */
export const verifyVerdictSchema = z.strictObject({
  jobId: jobIdSchema,
  verdict: verdictSchema,
  reason: z.string().max(500),
  evidence: verifyEvidenceSchema,
  signature: signatureSchema,
});
export type VerifyVerdict = z.infer<typeof verifyVerdictSchema>;

/** `verify:error`: the guard could not check (model not loaded, engine failure). Not a verdict. */
export const verifyErrorSchema = z.strictObject({
  jobId: jobIdSchema,
  code: errorCodeSchema,
  message: z.string().max(2000),
});
export type VerifyError = z.infer<typeof verifyErrorSchema>;
