import { describe, expect, it } from 'vitest';
import { sharePermille, siteKeyOfLedgerKey, siteLedgerKey, siteShare } from './site-share.ts';

describe('site share', () => {
  it('reads TESSERA_SITE_SHARE as thousandths', () => {
    expect(sharePermille('10%')).toBe(100);
    expect(sharePermille('2.5%')).toBe(25);
    expect(sharePermille('0')).toBe(0);
    expect(sharePermille('100')).toBe(1000);
    expect(() => sharePermille('101%')).toThrow(/above 100/);
    expect(() => sharePermille('ten')).toThrow();
  });

  it('pays a share of the visitor credit, rounded down, never from nothing', () => {
    expect(siteShare(1_000_000n, 100)).toBe(100_000n);
    expect(siteShare(19n, 100)).toBe(1n);
    expect(siteShare(9n, 100)).toBe(0n);
    expect(siteShare(0n, 100)).toBe(0n);
    expect(siteShare(1_000n, 0)).toBe(0n);
  });

  it('names a site registered with an account by a ledger key no tab key can be', () => {
    const key = siteLedgerKey('site_AAAAAAAAAAAAAAAAAAAAAA');
    expect(key).toBe('site:site_AAAAAAAAAAAAAAAAAAAAAA');
    expect(siteKeyOfLedgerKey(key)).toBe('site_AAAAAAAAAAAAAAAAAAAAAA');
    expect(siteKeyOfLedgerKey('abc')).toBeNull();
  });
});
