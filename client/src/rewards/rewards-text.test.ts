import type { EpochView } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { formatTimeLeft, formatTsra, openEpoch, settledEpochs, shortHex } from './rewards-text.ts';

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
