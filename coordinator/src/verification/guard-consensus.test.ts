import { describe, expect, it } from 'vitest';
import { finalConsensus, guardConsensus, type GuardVote } from './guard-consensus.ts';

const vote = (guardKey: string, verdict: GuardVote['verdict']): GuardVote => ({
  guardKey,
  network: `${guardKey}-net`,
  verdict,
  reason: verdict,
});

describe('guardConsensus', () => {
  it('confirms with the required number of agreeing guards', () => {
    expect(guardConsensus([vote('a', 'valid')], 1)).toMatchObject({ kind: 'decided', verdict: 'valid' });
    expect(guardConsensus([vote('a', 'valid')], 2)).toEqual({ kind: 'ask-another' });
    expect(guardConsensus([vote('a', 'valid'), vote('b', 'valid')], 2)).toMatchObject({ kind: 'decided', verdict: 'valid' });
  });

  it('lets no single guard overrule another: a tie asks a third, a majority of two decides and its dissenter pays', () => {
    expect(guardConsensus([vote('honest', 'invalid'), vote('colluder', 'valid')], 1)).toEqual({ kind: 'ask-another' });
    expect(guardConsensus([vote('honest', 'invalid'), vote('colluder', 'valid'), vote('third', 'invalid')], 1)).toEqual({
      kind: 'decided',
      verdict: 'invalid',
      reason: 'invalid',
      dissenters: ['colluder'],
    });
    expect(guardConsensus([vote('slanderer', 'invalid'), vote('b', 'valid'), vote('c', 'valid')], 1)).toMatchObject({
      verdict: 'valid',
      dissenters: ['slanderer'],
    });
  });

  it('asks for a second opinion on a lone refutation', () => {
    expect(guardConsensus([vote('a', 'invalid')], 1)).toEqual({ kind: 'ask-another' });
  });
});

describe('finalConsensus (no guard left to ask)', () => {
  it('keeps agreement, refutes on a lone refutation, and disputes a tie', () => {
    expect(finalConsensus([])).toEqual({ kind: 'none' });
    expect(finalConsensus([vote('a', 'valid')])).toMatchObject({ kind: 'decided', verdict: 'valid' });
    expect(finalConsensus([vote('a', 'invalid')])).toMatchObject({ kind: 'decided', verdict: 'invalid', dissenters: [] });
    expect(finalConsensus([vote('a', 'invalid'), vote('b', 'valid')])).toMatchObject({ kind: 'disputed' });
  });
});
