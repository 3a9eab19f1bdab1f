import type { ClaimableEpoch } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { LOCAL_KEY_REASON, NO_DISTRIBUTOR_REASON, claimBlockReason } from './claim-availability.ts';
import type { ClaimWalletView } from './claim-availability.ts';
import type { ClaimSettings } from './claim-settings.ts';

const claim: ClaimableEpoch = {
  epoch: 2,
  account: `0x${'12'.repeat(20)}`,
  amount: '5',
  proof: [],
  root: `0x${'cd'.repeat(32)}`,
  claimed: false,
  posted: true,
};
const settings: ClaimSettings = { network: 'testnet', distributorAddress: `0x${'aa'.repeat(20)}`, mirrorNodeUrl: null };
const hashconnect: ClaimWalletView = { signerKind: null, localWallet: null, hashConnectUnavailable: null };

describe('claimBlockReason', () => {
  it('lets a posted, unclaimed epoch be claimed with a distributor and HashConnect', () => {
    expect(claimBlockReason(claim, settings, hashconnect)).toBeNull();
    expect(claimBlockReason(claim, settings, { ...hashconnect, signerKind: 'hashconnect' })).toBeNull();
  });

  it('says why not, most basic reason first', () => {
    expect(claimBlockReason({ ...claim, claimed: true }, null, hashconnect)).toBe('Already claimed.');
    expect(claimBlockReason({ ...claim, posted: false }, settings, hashconnect)).toMatch(/not on chain yet/);
    expect(claimBlockReason(claim, null, hashconnect)).toMatch(/Reading/);
    expect(claimBlockReason(claim, { ...settings, distributorAddress: null }, hashconnect)).toBe(NO_DISTRIBUTOR_REASON);
    expect(NO_DISTRIBUTOR_REASON.toLowerCase()).toContain('the coordinator has no distributor configured');
  });

  it("never claims with the URL's local key: it cannot pay gas on a real network", () => {
    expect(claimBlockReason(claim, settings, { ...hashconnect, signerKind: 'local' })).toBe(LOCAL_KEY_REASON);
    expect(claimBlockReason(claim, settings, { ...hashconnect, localWallet: { accountId: '0.0.5' } })).toBe(LOCAL_KEY_REASON);
  });

  it('passes on why HashConnect is unavailable', () => {
    expect(claimBlockReason(claim, settings, { ...hashconnect, hashConnectUnavailable: 'no project id' })).toBe('no project id');
  });
});
