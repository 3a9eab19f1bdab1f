import { LedgerId } from '@hashgraph/sdk';
import type { WalletConfig } from '@tessera/shared';
import { hashConnectUnavailableReason } from './hash-connect-availability.ts';
import { HashConnectSigner } from './hash-connect-signer.ts';
import type { HashConnectClient } from './hash-connect-signer.ts';
import { WalletSignerError } from './wallet-signer.ts';

/**
 * The production signer: hashconnect 3 (`new HashConnect(ledgerId, projectId, metadata, debug)`),
 * loaded only when the user asks to connect, so the WalletConnect code stays out of the page's first
 * load. Needs internet (WalletConnect's relay) and a WalletConnect project id.
 */
export function createHashConnectSigner(config: WalletConfig): HashConnectSigner {
  const reason = hashConnectUnavailableReason(config);
  return new HashConnectSigner({
    network: config.network,
    async createClient(): Promise<HashConnectClient> {
      if (reason !== null || config.walletConnectProjectId === null)
        throw new WalletSignerError('unavailable', reason ?? 'HashPack pairing is off.');
      const { HashConnect } = await import('hashconnect');
      const metadata = {
        name: 'Tessera',
        description: 'Lend your browser to run AI models, and earn rewards on Hedera.',
        icons: [],
        url: location.origin,
      };
      return new HashConnect(LedgerId.fromString(config.network), config.walletConnectProjectId, metadata, false);
    },
    // hashconnect's own signer posts this before every request so the HashPack extension opens its popup.
    beforeRequest: () => window.postMessage({ type: 'hashconnect-send-local-transaction', transaction: null, origin: null }, '*'),
  });
}
