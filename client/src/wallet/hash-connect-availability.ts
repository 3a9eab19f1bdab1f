import type { WalletConfig } from '@tessera/shared';

/** Why HashConnect cannot be offered with this coordinator's settings; null when it can. */
export function hashConnectUnavailableReason(config: WalletConfig): string | null {
  if (config.walletConnectProjectId === null) {
    return 'HashPack pairing is off: this coordinator has no WalletConnect project id (its operator sets TESSERA_WALLETCONNECT_PROJECT_ID).';
  }
  if (config.network === 'local')
    return 'HashPack cannot pair on a local Hedera network; link with a local test key instead (wallet=local in the address, see client/README.md).';
  return null;
}
