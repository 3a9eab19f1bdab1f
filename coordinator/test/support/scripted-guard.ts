import type { ChatEvidence, TaskOutput, TaskSpec, TokenScore, VerifyAssign } from '@tessera/shared';
import { cosineSimilarity, judgeClaim } from '@tessera/shared';
import { echoText, vectorFor } from './honest-answers.ts';
import type { ScriptedTab } from './scripted-tab.ts';

const TOP: TokenScore = { chosenLogit: 10, maxLogit: 10, rank: 0, logProb: 0, expectedLogProb: 0, logProbVariance: 0 };
const WRONG: TokenScore = { chosenLogit: 2, maxLogit: 10, rank: 7, logProb: -8, expectedLogProb: 0, logProbVariance: 0 };

/**
 * What a guard running the echo "model" of the scripted tabs would measure: every claimed token scores
 * as the top choice when the text is what the model says, and the first one does not otherwise.
 */
export function echoEvidence(spec: TaskSpec, claim: TaskOutput): ChatEvidence | { kind: 'embeddings'; cosines: number[] } {
  if (spec.kind === 'embeddings' || claim.kind === 'embeddings') {
    const own = spec.kind === 'embeddings' ? spec.texts.map(vectorFor) : [];
    const vectors = claim.kind === 'embeddings' ? claim.vectors : [];
    return {
      kind: 'embeddings',
      cosines: vectors.map((vector, i) => (vector.length === own[i]?.length ? cosineSimilarity(vector, own[i] ?? []) : 0)),
    };
  }
  const expected = echoText({ taskId: '00000000-0000-4000-8000-000000000000' as never, leaseMs: 1, attempt: 1, task: spec });
  const honest = claim.text === expected;
  return {
    kind: 'chat',
    scores: claim.tokenIds.map((_, i) => (honest || i > 0 ? TOP : WRONG)),
    decodedText: claim.text,
    endScore: TOP,
    promptTokens: 3,
  };
}

/** A guard that checks honestly against the echo model. */
export function guardHonestly(assign: VerifyAssign, tab: ScriptedTab): void {
  const evidence = echoEvidence(assign.task, assign.claim);
  const judged = judgeClaim(assign.task, assign.claim, evidence);
  tab.sendVerdict(assign.jobId, judged.verdict, evidence, judged.reason);
}
