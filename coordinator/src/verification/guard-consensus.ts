/** One guard's verdict on a result, with what makes guards independent of each other. */
export interface GuardVote {
  guardKey: string;
  /** The guard's network (address /24 or /64): two guards of one network count as one voice. */
  network: string;
  verdict: 'valid' | 'invalid';
  reason: string;
}

/** What the votes so far decide: a verdict (and who dissented from it), or that another guard is needed. */
export type Consensus =
  | { kind: 'decided'; verdict: 'valid' | 'invalid'; reason: string; dissenters: string[] }
  | { kind: 'disputed'; reason: string }
  | { kind: 'ask-another' };

function side(votes: readonly GuardVote[], verdict: GuardVote['verdict']): GuardVote[] {
  return votes.filter((vote) => vote.verdict === verdict);
}

/**
 * The one rule for turning guards' verdicts into a check's outcome. A result is confirmed by `required`
 * agreeing guards and no dissent (two for a newcomer's or a just-promoted tab's work, one otherwise); a
 * disagreement is settled by a majority of at least two, whose dissenters are penalized. No single guard
 * can overrule another: a tie waits for a third, and if none comes the result is disputed (withheld, run
 * again elsewhere, nobody penalized). A colluding guard can therefore delay a liar's catch, never deliver
 * its lie over an honest guard.
 */
export function guardConsensus(votes: readonly GuardVote[], required: number): Consensus {
  const valid = side(votes, 'valid');
  const invalid = side(votes, 'invalid');
  if (invalid.length === 0) {
    return valid.length >= required
      ? { kind: 'decided', verdict: 'valid', reason: valid[0]?.reason ?? 'confirmed', dissenters: [] }
      : { kind: 'ask-another' };
  }
  if (valid.length === 0) return { kind: 'ask-another' };
  if (valid.length >= 2 && valid.length > invalid.length) {
    return {
      kind: 'decided',
      verdict: 'valid',
      reason: 'a majority of guards confirmed it',
      dissenters: invalid.map((vote) => vote.guardKey),
    };
  }
  if (invalid.length >= 2 && invalid.length > valid.length) {
    return { kind: 'decided', verdict: 'invalid', reason: invalid[0]?.reason ?? 'refuted', dissenters: valid.map((vote) => vote.guardKey) };
  }
  return { kind: 'ask-another' };
}

/**
 * The outcome when no further guard can be asked: what the votes agree on if they agree (fewer
 * confirmations than asked for are still confirmations; one refutation still refutes), else disputed.
 */
export function finalConsensus(votes: readonly GuardVote[]): Consensus | { kind: 'none' } {
  if (votes.length === 0) return { kind: 'none' };
  const decided = guardConsensus(votes, 1);
  if (decided.kind === 'decided') return decided;
  const valid = side(votes, 'valid');
  const invalid = side(votes, 'invalid');
  if (valid.length === 0) return { kind: 'decided', verdict: 'invalid', reason: invalid[0]?.reason ?? 'refuted', dissenters: [] };
  return {
    kind: 'disputed',
    reason: `guards disagree (${valid.length} valid, ${invalid.length} invalid) and no other guard is free to decide`,
  };
}
