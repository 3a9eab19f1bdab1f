import type { ChatTaskSpec, TaskOutput, TaskSpec } from '../task.ts';
import { VERIFICATION_TOLERANCES, type VerificationTolerances } from './verification-tolerances.ts';
import type { ChatEvidence, EmbeddingEvidence, TokenScore, Verdict, VerifyEvidence } from './verify-messages.ts';

export interface Judgement {
  verdict: Verdict;
  reason: string;
}

const VALID: Judgement = { verdict: 'valid', reason: 'matches the guard' };
const invalid = (reason: string): Judgement => ({ verdict: 'invalid', reason });

function tokenPasses(score: TokenScore, temperature: number, tolerances: VerificationTolerances): boolean {
  if (temperature === 0) return score.maxLogit - score.chosenLogit <= tolerances.greedyLogitTolerance;
  return score.logProb >= Math.log(tolerances.sampledMinProbability);
}

/**
 * How far a sampled sequence's log-likelihood lies below what honest sampling gives, in standard
 * deviations: (Σ log p − Σ E[log p]) / √Σ Var[log p]. Null when the distributions were deterministic.
 */
export function sampledLikelihoodZ(scores: readonly TokenScore[]): number | null {
  let observed = 0;
  let expected = 0;
  let variance = 0;
  for (const score of scores) {
    observed += score.logProb;
    expected += score.expectedLogProb;
    variance += score.logProbVariance;
  }
  return variance > 0 ? (observed - expected) / Math.sqrt(variance) : null;
}

/**
 * Whether reported log probabilities are the model's: exactly when asked, one per token, each within the
 * tolerance of the guard's; an alternative the guard also ranks among its best must agree in value, and one
 * it does not may only be a near-tie with the guard's last (kernels may order near-equal tokens differently).
 */
function logprobsMismatch(
  spec: ChatTaskSpec,
  claim: Extract<TaskOutput, { kind: 'chat' }>,
  evidence: ChatEvidence,
  tolerance: number,
): string | null {
  const asked = spec.params.topLogprobs;
  if (asked === undefined) return claim.logprobs === undefined ? null : 'log probabilities were reported but not asked for';
  const claimed = claim.logprobs;
  const own = evidence.logprobs;
  if (claimed === undefined || claimed.length !== claim.tokenIds.length)
    return 'log probabilities were asked for but not reported for every token';
  if (own === undefined || own.length !== claimed.length) return 'the guard computed no log probabilities to compare';
  for (const [index, entry] of claimed.entries()) {
    const guard = own[index];
    if (guard === undefined || Math.abs(entry.logprob - guard.logprob) > tolerance)
      return `token ${index}'s log probability ${entry.logprob.toFixed(4)} is not the model's (${guard?.logprob.toFixed(4) ?? '?'})`;
    if (entry.top.length !== guard.top.length) return `token ${index} lists ${entry.top.length} alternatives, not ${asked}`;
    const guardValues = new Map(guard.top);
    const lowest = guard.top.at(-1)?.[1] ?? -Infinity;
    for (const [tokenId, logprob] of entry.top) {
      const value = guardValues.get(tokenId);
      const agrees = value === undefined ? logprob <= lowest + tolerance : Math.abs(value - logprob) <= tolerance;
      if (!agrees) return `token ${index}'s alternative ${tokenId} (${logprob.toFixed(4)}) is not among the model's best`;
    }
  }
  return null;
}

export interface JudgeOptions {
  /** The model's context window: generation may stop short of max_tokens when it fills. */
  contextLength?: number;
  tolerances?: VerificationTolerances;
}

/**
 * Whether a chat claim is what the model would produce, from the guard's one-pass scores. Checks, in
 * order: the guard scored exactly the claimed tokens; the text is the decoding of those tokens (cut at a
 * stop sequence at most); the length agrees with the finish reason; every token is one the model would
 * pick; and an early stop is the model's own end-of-sequence choice. Used by guards to reach a verdict and
 * by the coordinator to re-derive it from the evidence.
 */
export function judgeChatClaim(
  spec: ChatTaskSpec,
  claim: Extract<TaskOutput, { kind: 'chat' }>,
  evidence: ChatEvidence,
  options: JudgeOptions = {},
): Judgement {
  const tolerances = options.tolerances ?? VERIFICATION_TOLERANCES;
  const { temperature, maxTokens, stop } = spec.params;
  const contextFull = options.contextLength !== undefined && evidence.promptTokens + claim.tokenIds.length >= options.contextLength;
  if (evidence.scores.length !== claim.tokenIds.length) {
    return invalid(`the guard scored ${evidence.scores.length} tokens but the claim has ${claim.tokenIds.length}`);
  }
  if (claim.tokenIds.length > maxTokens) return invalid(`${claim.tokenIds.length} tokens exceed max_tokens ${maxTokens}`);
  if (!evidence.decodedText.startsWith(claim.text)) return invalid('the text is not the decoding of the claimed tokens');
  const cutAtStop = claim.text.length < evidence.decodedText.length;
  if (cutAtStop && !stop.some((sequence) => evidence.decodedText.startsWith(sequence, claim.text.length))) {
    return invalid('the text is cut short of its tokens without a stop sequence');
  }
  if (claim.finishReason === 'length' && claim.tokenIds.length !== maxTokens && !contextFull) {
    return invalid(
      `finish_reason is length but ${claim.tokenIds.length} of ${maxTokens} tokens were generated and the context is not full`,
    );
  }
  if (claim.finishReason === 'stop' && !cutAtStop) {
    // Stopped without a stop sequence: the model itself must choose end-of-sequence next.
    if (evidence.endScore === null) return invalid('stopped early, and the model has no end-of-sequence token');
    if (!tokenPasses(evidence.endScore, temperature, tolerances))
      return invalid('stopped early where the model would not end the sequence');
  }
  const mismatch = evidence.scores.findIndex((score) => !tokenPasses(score, temperature, tolerances));
  if (mismatch !== -1) {
    const score = evidence.scores[mismatch];
    return invalid(
      `token ${mismatch} (id ${claim.tokenIds[mismatch]}) is not the model's choice (rank ${score?.rank}, ${score ? (score.maxLogit - score.chosenLogit).toFixed(3) : '?'} logits below the best)`,
    );
  }
  const logprobs = logprobsMismatch(spec, claim, evidence, tolerances.logprobTolerance);
  if (logprobs !== null) return invalid(logprobs);
  if (temperature > 0) {
    const z = sampledLikelihoodZ(evidence.scores);
    if (z !== null && z < tolerances.sampledMinZ)
      return invalid(`the tokens are far less likely than sampling gives (z = ${z.toFixed(1)})`);
  }
  return VALID;
}

export function judgeEmbeddingClaim(
  claim: Extract<TaskOutput, { kind: 'embeddings' }>,
  evidence: EmbeddingEvidence,
  options: JudgeOptions = {},
): Judgement {
  const tolerances = options.tolerances ?? VERIFICATION_TOLERANCES;
  if (evidence.cosines.length !== claim.vectors.length)
    return invalid(`${evidence.cosines.length} cosines for ${claim.vectors.length} vectors`);
  const worst = evidence.cosines.reduce((min, value) => Math.min(min, value), 1);
  if (worst < tolerances.embeddingMinCosine)
    return invalid(`an embedding has cosine ${worst.toFixed(6)} to the guard's, below ${tolerances.embeddingMinCosine}`);
  return VALID;
}

/** Dispatches on the task kind; a claim or evidence of the wrong kind is invalid. */
export function judgeClaim(spec: TaskSpec, claim: TaskOutput, evidence: VerifyEvidence, options: JudgeOptions = {}): Judgement {
  if (spec.kind === 'chat') {
    if (claim.kind !== 'chat' || evidence.kind !== 'chat') return invalid('a chat task needs a chat claim and chat evidence');
    return judgeChatClaim(spec, claim, evidence, options);
  }
  if (claim.kind !== 'embeddings' || evidence.kind !== 'embeddings') return invalid('an embeddings task needs embeddings evidence');
  if (claim.vectors.length !== spec.texts.length) return invalid(`${claim.vectors.length} vectors for ${spec.texts.length} texts`);
  return judgeEmbeddingClaim(claim, evidence, options);
}
