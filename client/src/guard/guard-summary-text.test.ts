import { describe, expect, it } from 'vitest';
import { agreementText, earnedText } from './guard-summary-text.ts';

const reputation = { tier: 'probation', accuracy: 1, validChecks: 0, invalidChecks: 0, consecutiveValid: 0, checkProbability: 1 } as const;

describe('guard summary text', () => {
  it('says how the verdicts fared against other guards', () => {
    expect(agreementText(null)).toBe('not reported yet');
    expect(agreementText({ verdicts: { valid: 0, invalid: 0 }, reputation })).toBe('no verdicts yet');
    expect(agreementText({ verdicts: { valid: 2, invalid: 1 }, reputation })).toBe('never outvoted in 3 verdicts');
    expect(agreementText({ verdicts: { valid: 1, invalid: 0 }, reputation: { ...reputation, invalidChecks: 1 } })).toBe(
      'outvoted 1 time (this key, all visits)',
    );
  });

  it('adds up what the key holds, and says when the coordinator reports nothing', () => {
    expect(earnedText(null, null)).toBe('not reported yet');
    expect(earnedText(null, 'HTTP 404')).toBe('not reported by this coordinator');
    expect(earnedText({ escrowed: '100000', credited: '20000', claimable: '0', claimed: '0', slashed: '5' }, null)).toBe('0.0012 TSRA');
  });
});
