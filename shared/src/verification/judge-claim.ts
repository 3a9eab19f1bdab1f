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
  return score.rank < tolerances.sampledMaxRank && score.logProb >= Math.log(tolerances.sampledMinProbability);
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
  tolerances: VerificationTolerances = VERIFICATION_TOLERANCES,
): Judgement {
  const { temperature, maxTokens, stop } = spec.params;
  if (evidence.scores.length !== claim.tokenIds.length) {
    return invalid(`the guard scored ${evidence.scores.length} tokens but the claim has ${claim.tokenIds.length}`);
  }
  if (claim.tokenIds.length > maxTokens) return invalid(`${claim.tokenIds.length} tokens exceed max_tokens ${maxTokens}`);
  if (!evidence.decodedText.startsWith(claim.text)) return invalid('the text is not the decoding of the claimed tokens');
  const cutAtStop = claim.text.length < evidence.decodedText.length;
  if (cutAtStop && !stop.some((sequence) => evidence.decodedText.startsWith(sequence, claim.text.length))) {
    return invalid('the text is cut short of its tokens without a stop sequence');
  }
  if (claim.finishReason === 'length' && claim.tokenIds.length !== maxTokens) {
    return invalid(`finish_reason is length but ${claim.tokenIds.length} of ${maxTokens} tokens were generated`);
  }
  if (claim.finishReason === 'stop' && !cutAtStop) {
    // Stopped without a stop sequence: the model itself must choose end-of-sequence next.
    if (evidence.endScore === null) return invalid('stopped early, and the model has no end-of-sequence token');
    if (!tokenPasses(evidence.endScore, temperature, tolerances)) return invalid('stopped early where the model would not end the sequence');
  }
  const mismatch = evidence.scores.findIndex((score) => !tokenPasses(score, temperature, tolerances));
  if (mismatch !== -1) {
    const score = evidence.scores[mismatch];
    return invalid(`token ${mismatch} (id ${claim.tokenIds[mismatch]}) is not the model's choice (rank ${score?.rank}, ${score ? (score.maxLogit - score.chosenLogit).toFixed(3) : '?'} logits below the best)`);
  }
  return VALID;
}

export function judgeEmbeddingClaim(
  claim: Extract<TaskOutput, { kind: 'embeddings' }>,
  evidence: EmbeddingEvidence,
  tolerances: VerificationTolerances = VERIFICATION_TOLERANCES,
): Judgement {
  if (evidence.cosines.length !== claim.vectors.length) return invalid(`${evidence.cosines.length} cosines for ${claim.vectors.length} vectors`);
  const worst = evidence.cosines.reduce((min, value) => Math.min(min, value), 1);
  if (worst < tolerances.embeddingMinCosine) return invalid(`an embedding has cosine ${worst.toFixed(6)} to the guard's, below ${tolerances.embeddingMinCosine}`);
  return VALID;
}

/** Dispatches on the task kind; a claim or evidence of the wrong kind is invalid. */
export function judgeClaim(spec: TaskSpec, claim: TaskOutput, evidence: VerifyEvidence, tolerances: VerificationTolerances = VERIFICATION_TOLERANCES): Judgement {
  if (spec.kind === 'chat') {
    if (claim.kind !== 'chat' || evidence.kind !== 'chat') return invalid('a chat task needs a chat claim and chat evidence');
    return judgeChatClaim(spec, claim, evidence, tolerances);
  }
  if (claim.kind !== 'embeddings' || evidence.kind !== 'embeddings') return invalid('an embeddings task needs embeddings evidence');
  return judgeEmbeddingClaim(claim, evidence, tolerances);
}
