import { describe, expect, it } from 'vitest';
import { DEFAULT_FAILURE_POLICY, failsTooOften } from './failure-watch.ts';

describe('failsTooOften', () => {
  it('moves a tab off a model when it fails most of its attempts while its peers succeed', () => {
    expect(failsTooOften({ tabFailures: 4, tabAttempts: 4, peerFailures: 4, peerAttempts: 40 })).toBe(true);
  });

  it('forgives a few failures, and a rate under half', () => {
    expect(failsTooOften({ tabFailures: 3, tabAttempts: 3, peerFailures: 3, peerAttempts: 40 })).toBe(false);
    expect(failsTooOften({ tabFailures: 4, tabAttempts: 10, peerFailures: 4, peerAttempts: 100 })).toBe(false);
  });

  it('blames nobody when the model fails everywhere, or when no peer runs it', () => {
    expect(failsTooOften({ tabFailures: 8, tabAttempts: 10, peerFailures: 60, peerAttempts: 100 })).toBe(false);
    expect(failsTooOften({ tabFailures: 10, tabAttempts: 10, peerFailures: 0, peerAttempts: 3 })).toBe(false);
  });

  it('follows the policy it is given', () => {
    const strict = { ...DEFAULT_FAILURE_POLICY, minFailures: 1, maxRate: 0.1 };
    expect(failsTooOften({ tabFailures: 1, tabAttempts: 5, peerFailures: 1, peerAttempts: 100 }, strict)).toBe(true);
  });
});
