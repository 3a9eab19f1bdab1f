/**
 * Colluding guards, by simulation (part of `npm run bench:verify`): an attacker runs a worker that lies on
 * every task and holds k of the network's n guards, which confirm whatever they are shown. Counts the lies
 * delivered to callers per 1,000 of the liar's tasks under the shipped rule (`guardConsensus`: guards
 * drawn at random, two confirmations for a newcomer or a just-promoted tab, no guard overrules another
 * alone) and under the rule before it (one guard; on "invalid" a second guard's word is final).
 */
import { DEFAULT_REPLICATION_POLICY, checkProbability, emptyReputation, recordCheck } from '@tessera/shared';
import type { ReputationStats } from '@tessera/shared';
import { finalConsensus, guardConsensus, type Consensus, type GuardVote } from '../src/verification/guard-consensus.ts';

type Rule = 'before' | 'after';

function vote(index: number, colluders: number): GuardVote {
  const colluding = index < colluders;
  return {
    guardKey: `g${index}`,
    network: `n${index}`,
    verdict: colluding ? 'valid' : 'invalid',
    reason: colluding ? 'confirmed' : 'wrong',
  };
}

/** The outcome of one check of a lie: the guards are drawn at random without replacement. */
function checkLie(
  rule: Rule,
  stats: ReputationStats,
  guards: number,
  colluders: number,
  random: () => number,
): 'valid' | 'invalid' | 'disputed' {
  const order = Array.from({ length: guards }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  const votes: GuardVote[] = [];
  if (rule === 'before') {
    const first = vote(order[0] ?? 0, colluders);
    if (first.verdict === 'valid') return 'valid';
    return order.length > 1 ? vote(order[1] ?? 0, colluders).verdict : 'invalid';
  }
  const required = stats.consecutiveValid < 2 * DEFAULT_REPLICATION_POLICY.probationChecks ? 2 : 1;
  for (const index of order) {
    votes.push(vote(index, colluders));
    const consensus: Consensus = guardConsensus(votes, required);
    if (consensus.kind === 'decided') return consensus.verdict;
  }
  const final = finalConsensus(votes);
  return final.kind === 'decided' ? final.verdict : 'disputed';
}

/** Lies delivered per 1,000 tasks of a worker that lies on every one, averaged over `trials` workers. */
export function liesDelivered(rule: Rule, guards: number, colluders: number, trials: number, random: () => number): number {
  let delivered = 0;
  for (let trial = 0; trial < trials; trial++) {
    let stats = emptyReputation();
    for (let task = 0; task < 1000; task++) {
      if (random() >= checkProbability(stats.consecutiveValid)) {
        delivered++;
        continue;
      }
      const outcome = checkLie(rule, stats, guards, colluders, random);
      if (outcome === 'valid') {
        delivered++;
        stats = recordCheck(stats, 'valid');
      } else if (outcome === 'invalid') {
        stats = recordCheck(stats, 'invalid');
        if (stats.invalidChecks >= 3) break; // banned: no more work
      }
    }
  }
  return delivered / trials;
}

export function printCollusionFigures(options: { trials: number; random: () => number }): void {
  console.log('\nColluding guards: a worker lying on every task, its owner holding k of n guards (lies delivered per 1,000 of its tasks)');
  console.log('guards   colluding   before (one guard, the second decides)   after (random, 2 for newcomers, majority)');
  for (const guards of [5, 10]) {
    for (const colluders of [1, 2]) {
      const before = liesDelivered('before', guards, colluders, options.trials, options.random);
      const after = liesDelivered('after', guards, colluders, options.trials, options.random);
      console.log(`${String(guards).padEnd(9)}${String(colluders).padEnd(12)}${before.toFixed(1).padEnd(41)}${after.toFixed(1)}`);
    }
  }
}
