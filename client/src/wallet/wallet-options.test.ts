import { describe, expect, it } from 'vitest';
import { parseWalletOptions } from './wallet-options.ts';

const key = `302e020100300506032b657004220420${'ab'.repeat(32)}`;

describe('wallet URL parameters', () => {
  it('offer nothing by default', () => {
    expect(parseWalletOptions('')).toEqual({ localWallet: null, warnings: [] });
  });

  it('offer a local test key with wallet=local, an account and a key, from the query or the fragment', () => {
    const expected = { localWallet: { accountId: '0.0.1234', privateKeyDer: key }, warnings: [] };
    expect(parseWalletOptions(`?wallet=local&account=0.0.1234&walletKey=${key}`)).toEqual(expected);
    expect(parseWalletOptions('?autostart=1', `#wallet=local&account=0.0.1234&walletKey=${key}`)).toEqual(expected);
  });

  it('never use a key quietly: without wallet=local it is ignored, with a warning', () => {
    const parsed = parseWalletOptions(`?account=0.0.1234&walletKey=${key}`);
    expect(parsed.localWallet).toBeNull();
    expect(parsed.warnings[0]).toMatch(/add wallet=local/);
  });

  it('say what is missing or malformed', () => {
    expect(parseWalletOptions('?wallet=local').warnings).toHaveLength(2);
    expect(parseWalletOptions(`?wallet=local&account=0.0.01&walletKey=${key}`).warnings[0]).toMatch(/account=<shard\.realm\.num>/);
    expect(parseWalletOptions('?wallet=local&account=0.0.1&walletKey=xyz').warnings[0]).toMatch(/walletKey/);
    expect(parseWalletOptions('?wallet=hashpack').warnings[0]).toMatch(/only value is local/);
  });
});
