import { describe, expect, it } from 'vitest';
import { creditFor, formatAmount, workUnits } from './reward-math.ts';

describe('reward math', () => {
  it('pays generated tokens and embedded inputs, not prompts', () => {
    expect(
      workUnits({ kind: 'chat', text: 'x', finishReason: 'stop', tokenIds: [1, 2, 3] }, { promptTokens: 100, completionTokens: 3 }),
    ).toBe(3n);
    expect(workUnits({ kind: 'embeddings', vectors: [[1], [2]] }, { promptTokens: 9, completionTokens: 0 })).toBe(2n);
  });

  it('applies model and tier multipliers in exact integer arithmetic, rounding down', () => {
    expect(creditFor({ units: 12n, ratePerUnit: 1000n, modelMultiplier: 1, tier: 'trusted' })).toBe(12_000n);
    expect(creditFor({ units: 12n, ratePerUnit: 1000n, modelMultiplier: 0.01, tier: 'trusted' })).toBe(120n);
    expect(creditFor({ units: 10n, ratePerUnit: 1000n, modelMultiplier: 1, tier: 'veteran' })).toBe(12_000n);
    expect(creditFor({ units: 10n, ratePerUnit: 1000n, modelMultiplier: 1, tier: 'demoted' })).toBe(5_000n);
    expect(creditFor({ units: 10n, ratePerUnit: 1000n, modelMultiplier: 1, tier: 'banned' })).toBe(0n);
    expect(creditFor({ units: 1n, ratePerUnit: 1n, modelMultiplier: 0.333, tier: 'trusted' })).toBe(0n);
    expect(creditFor({ units: 10n ** 20n, ratePerUnit: 10n ** 10n, modelMultiplier: 1, tier: 'trusted' })).toBe(10n ** 30n);
  });

  it('formats amounts exactly', () => {
    expect(formatAmount(123_456_780_000n)).toBe('1234.5678');
    expect(formatAmount(100_000_000n)).toBe('1');
    expect(formatAmount(1n)).toBe('0.00000001');
  });
});
