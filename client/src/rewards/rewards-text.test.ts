import { creditFor } from '@tessera/shared';
import type { CreditEntry, EpochView } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import {
  EARNINGS_FLOW,
  earningsEstimate,
  formatTimeLeft,
  formatTsra,
  lowPayNote,
  openEpoch,
  rateFromHistory,
  settledEpochs,
  shortHex,
} from './rewards-text.ts';

describe('formatTsra', () => {
  it('shows smallest units (8 decimals) as TSRA, exactly', () => {
    expect(formatTsra('120000')).toBe('0.0012');
    expect(formatTsra('0')).toBe('0');
    expect(formatTsra('100000000')).toBe('1');
    expect(formatTsra('123456789012345678901234')).toBe('1234567890123456.78901234');
    expect(formatTsra(1n)).toBe('0.00000001');
  });
});

describe('shortHex', () => {
  it('keeps the head and tail of long values, and short ones whole', () => {
    expect(shortHex(`0x${'ab'.repeat(32)}`)).toBe('0xabab…abab');
    expect(shortHex('0x1234')).toBe('0x1234');
    expect(shortHex('')).toBe('');
  });
});

describe('formatTimeLeft', () => {
  it('counts down in hours, minutes or seconds, and says when the end is past', () => {
    expect(formatTimeLeft(3_725_000, 0)).toBe('1 h 2 min');
    expect(formatTimeLeft(125_000, 0)).toBe('2 min 5 s');
    expect(formatTimeLeft(9_500, 0)).toBe('9 s');
    expect(formatTimeLeft(1000, 5000)).toBe('closing…');
  });
});

describe('epoch lists', () => {
  const epoch = (n: number, status: EpochView['status']): EpochView => ({
    epoch: n,
    startedAt: n * 1000,
    endsAt: (n + 1) * 1000,
    status,
    root: status === 'open' ? null : `0x${'11'.repeat(32)}`,
    total: status === 'open' ? null : '100',
    accounts: 1,
    txHash: status === 'posted' ? `0x${'22'.repeat(32)}` : null,
    hcsSequence: null,
  });
  const epochs = [epoch(4, 'open'), epoch(3, 'closed'), epoch(1, 'posted'), epoch(2, 'posted')];

  it('finds the open epoch', () => {
    expect(openEpoch(epochs)?.epoch).toBe(4);
    expect(openEpoch([])).toBeNull();
  });

  it('lists the settled ones newest first, at most `limit`', () => {
    expect(settledEpochs(epochs).map((e) => e.epoch)).toEqual([3, 2, 1]);
    expect(settledEpochs(epochs, 2).map((e) => e.epoch)).toEqual([3, 2]);
  });
});

describe('earnings estimate', () => {
  const credit = (model: string, units: number, amount: bigint): CreditEntry => ({
    taskId: `t-${model}-${units}`,
    epoch: 1,
    model,
    units: String(units),
    amount: amount.toString(),
    status: 'escrow',
    createdAt: 0,
  });
  const multipliers: Record<string, number> = { tiny: 0.01, big: 1 };
  const multiplierOf = (model: string): number | null => multipliers[model] ?? null;

  it("reads the coordinator's rate back from this key's credit, undoing model and tier multipliers", () => {
    const rate = 2500n;
    const history = [
      credit('tiny', 3, creditFor({ units: 3n, ratePerUnit: rate, modelMultiplier: 0.01, tier: 'veteran' })),
      credit('tiny', 97, creditFor({ units: 97n, ratePerUnit: rate, modelMultiplier: 0.01, tier: 'veteran' })),
      credit('gone', 500, 1n),
    ];
    expect(rateFromHistory(history, multiplierOf, 'veteran')).toBe(rate);
    expect(rateFromHistory([credit('gone', 5, 10n)], multiplierOf, 'trusted')).toBeNull();
    expect(rateFromHistory([], multiplierOf, 'trusted')).toBeNull();
    expect(rateFromHistory(history, multiplierOf, 'banned')).toBeNull();
  });

  it('estimates TSRA per hour from the measured speed, two significant digits', () => {
    // 10 tok/s × 3600 s × 1000 units × ×1 = 36,000,000 units = 0.36 TSRA.
    expect(earningsEstimate({ tokensPerSecond: 10, ratePerUnit: 1000n, modelMultipliers: [1], tier: 'trusted' })).toBe(
      "About 0.36 TSRA/hour at the current rate for the models you chose, while kept busy at this device's 10.0 tokens/s.",
    );
    // A tiny test model pays a hundredth; a veteran ×1.2: 12.3 × 3600 × 1000 × 0.01 × 1.2 = 531,360 → 530,000.
    expect(earningsEstimate({ tokensPerSecond: 12.3, ratePerUnit: null, modelMultipliers: [0.01], tier: 'veteran' })).toContain(
      "About 0.0053 TSRA/hour at the coordinator's default rate",
    );
  });

  it('gives a per-1,000-token figure before the speed is known, and asks for a model without one', () => {
    expect(earningsEstimate({ tokensPerSecond: null, ratePerUnit: null, modelMultipliers: [1, 0.2], tier: 'probation' })).toContain(
      'About 0.006 TSRA per 1,000 tokens served',
    );
    expect(earningsEstimate({ tokensPerSecond: 5, ratePerUnit: 1000n, modelMultipliers: [], tier: 'trusted' })).toBe(
      'Choose a model to see what lending it would earn.',
    );
  });

  it('says why a test model pays little, and nothing for full-rate models', () => {
    expect(lowPayNote([{ id: 'tessera/tiny-gpt2', rewardMultiplier: 0.01 }])).toContain(
      'tessera/tiny-gpt2 pays ×0.01: tiny test models exist to check that the network works',
    );
    expect(lowPayNote([{ id: 'x', rewardMultiplier: 0.2 }])).toContain('x pays ×0.2: small models');
    expect(lowPayNote([{ id: 'y', rewardMultiplier: 1 }])).toBeNull();
  });

  it('explains escrow → credited → claimable in that order', () => {
    const at = (word: string): number => EARNINGS_FLOW.indexOf(word);
    expect(at('escrow')).toBeGreaterThanOrEqual(0);
    expect(at('escrow')).toBeLessThan(at('credited'));
    expect(at('credited')).toBeLessThan(at('claimable'));
  });
});
