import { describe, expect, it } from 'vitest';
import { claimSettingsSchema } from './claim-settings.ts';

const config = {
  network: 'testnet',
  linkingAvailable: true,
  unavailableReason: null,
  walletConnectProjectId: 'p',
  challengeTtlMs: 300_000,
};

describe('claimSettingsSchema (GET /api/v1/wallet/config)', () => {
  it("reads the distributor address in lowercase, and the network's public mirror node by default", () => {
    expect(claimSettingsSchema.parse({ ...config, distributorAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3' })).toEqual({
      network: 'testnet',
      distributorAddress: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
      mirrorNodeUrl: 'https://testnet.mirrornode.hedera.com',
    });
  });

  it("gives null for a coordinator that sends no distributor (today's config), or something that is not an address", () => {
    expect(claimSettingsSchema.parse(config).distributorAddress).toBeNull();
    expect(claimSettingsSchema.parse({ ...config, distributorAddress: null }).distributorAddress).toBeNull();
    expect(claimSettingsSchema.parse({ ...config, distributorAddress: '0.0.1234' }).distributorAddress).toBeNull();
  });

  it("uses the coordinator's mirror node when it names one, and none on a local network without one", () => {
    expect(claimSettingsSchema.parse({ ...config, network: 'local', mirrorNodeUrl: 'http://127.0.0.1:5551/' }).mirrorNodeUrl).toBe(
      'http://127.0.0.1:5551',
    );
    expect(claimSettingsSchema.parse({ ...config, network: 'local' }).mirrorNodeUrl).toBeNull();
    expect(claimSettingsSchema.parse({ ...config, network: 'mainnet', mirrorNodeUrl: 'ftp://x' }).mirrorNodeUrl).toBe(
      'https://mainnet-public.mirrornode.hedera.com',
    );
  });

  it('refuses a body without a network', () => {
    expect(claimSettingsSchema.safeParse({ distributorAddress: null }).success).toBe(false);
  });
});
