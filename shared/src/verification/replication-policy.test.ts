import { describe, expect, it } from 'vitest';
import { checkProbability } from './replication-policy.ts';
import { emptyReputation, recordCheck, tierOf } from './reputation.ts';

describe('checkProbability', () => {
  it('checks newcomers every time, then about 1/N, never below the floor', () => {
    expect(checkProbability(0)).toBe(1);
    expect(checkProbability(9)).toBe(1);
    expect(checkProbability(11)).toBeCloseTo(1 / 2);
    expect(checkProbability(13)).toBeCloseTo(1 / 4);
    expect(checkProbability(10_000)).toBe(0.08);
  });
});

describe('reputation tiers', () => {
  it('moves from probation to trusted to veteran on valid checks', () => {
    let stats = emptyReputation();
    expect(tierOf(stats)).toBe('probation');
    for (let i = 0; i < 10; i++) stats = recordCheck(stats, 'valid');
    expect(tierOf(stats)).toBe('trusted');
    for (let i = 0; i < 200; i++) stats = recordCheck(stats, 'valid');
    expect(tierOf(stats)).toBe('veteran');
  });

  it('demotes on a caught result, rehabilitates slowly, bans after three', () => {
    let stats = recordCheck(emptyReputation(), 'invalid');
    expect(tierOf(stats)).toBe('demoted');
    expect(stats.consecutiveValid).toBe(0);
    for (let i = 0; i < 19; i++) stats = recordCheck(stats, 'valid');
    expect(tierOf(stats)).toBe('demoted');
    stats = recordCheck(stats, 'valid');
    expect(tierOf(stats)).toBe('trusted');
    stats = recordCheck(recordCheck(stats, 'invalid'), 'invalid');
    expect(tierOf(stats)).toBe('banned');
  });
});
