import { describe, expect, it } from 'vitest';
import { DEFAULT_REPLICATION_POLICY, checkProbability, checkProbabilityFor } from './replication-policy.ts';
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

describe('checkProbabilityFor', () => {
  const record = (consecutiveValid: number, validChecks = consecutiveValid, invalidChecks = 0) => ({
    consecutiveValid,
    validChecks,
    invalidChecks,
  });
  const { probationChecks, promotionWindow, promotedFloor, floorProbability } = DEFAULT_REPLICATION_POLICY;

  it('keeps checking often for a while after a promotion, then falls to 1/N and the floor', () => {
    expect(checkProbabilityFor(record(probationChecks + promotionWindow - 1))).toBe(promotedFloor);
    expect(checkProbabilityFor(record(probationChecks + promotionWindow))).toBeCloseTo(
      Math.max(floorProbability, 1 / (promotionWindow + 1)),
    );
    expect(checkProbabilityFor(record(150))).toBe(floorProbability);
  });

  it('raises the floor again on becoming a veteran, and for a tab that behaves unlike itself', () => {
    expect(checkProbabilityFor(record(205, 205))).toBe(promotedFloor);
    expect(checkProbabilityFor(record(205, 205, 1))).toBe(floorProbability);
    expect(checkProbabilityFor(record(500, 500), DEFAULT_REPLICATION_POLICY, 0.5)).toBe(0.5);
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
