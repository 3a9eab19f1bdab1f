import { loadTabIdentity } from '../identity/identity-store.browser.ts';
import type { VolunteerState } from '../volunteer/volunteer-state.svelte.ts';
import { createWalletApi } from './wallet-api.ts';
import { WalletLinkState } from './wallet-link-state.svelte.ts';
import type { LinkIdentity } from './link-wallet.ts';
import { parseWalletOptions } from './wallet-options.ts';

/**
 * The identity the volunteer runtime loaded, read again from IndexedDB (the runtime keeps its own
 * private). Only a persistent identity can be read back, and it must be the runtime's key.
 */
function volunteerIdentity(volunteer: VolunteerState): () => Promise<LinkIdentity> {
  return async () => {
    if (volunteer.publicKey === null) throw new Error(volunteer.identityError ?? 'This tab has no key yet; wait a moment and try again.');
    if (volunteer.identityMode !== 'persistent') {
      throw new Error('This page uses a key that is forgotten when it closes (identity=ephemeral, or a browser that cannot keep keys), so a wallet cannot be linked to it.');
    }
    const { identity } = await loadTabIdentity('persistent');
    if (identity.publicKey !== volunteer.publicKey) throw new Error('This browser\'s stored key changed since the page loaded; reload the page and try again.');
    return identity;
  };
}

const states = new WeakMap<VolunteerState, WalletLinkState>();

/** The wallet link state of this page's volunteer runtime: one per runtime, kept across page visits. */
export function walletLinkStateFor(volunteer: VolunteerState): WalletLinkState {
  let state = states.get(volunteer);
  if (state === undefined) {
    const { localWallet, warnings } = parseWalletOptions(location.search, location.hash);
    state = new WalletLinkState({
      api: createWalletApi(volunteer.options.coordinatorOrigin),
      identity: volunteerIdentity(volunteer),
      localWallet,
      warnings,
      // Loaded on the first click: @hashgraph/sdk and hashconnect would add megabytes to every page load.
      createHashConnectSigner: async (config) => (await import('./hash-connect-signer.browser.ts')).createHashConnectSigner(config),
      createLocalSigner: async (options, config) => {
        const { LocalKeySigner } = await import('./local-key-signer.ts');
        return new LocalKeySigner({ accountId: options.accountId, privateKeyDer: options.privateKeyDer, network: config.network });
      },
    });
    states.set(volunteer, state);
  }
  return state;
}
