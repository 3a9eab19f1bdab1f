import type { ClaimableEpoch } from '@tessera/shared';
import type { WalletSignerKind } from '../wallet/wallet-signer.ts';
import type { ClaimSettings } from './claim-settings.ts';

/** What the claim button needs to know about the wallet side (WalletLinkState has these fields). */
export interface ClaimWalletView {
  /** The wallet connected in this page, if any. */
  readonly signerKind: WalletSignerKind | null;
  /** The URL's local test key (`wallet=local`); non-null means this page is in local-key mode. */
  readonly localWallet: object | null;
  /** Why HashConnect cannot be used here; null when it can. */
  readonly hashConnectUnavailable: string | null;
}

export const NO_DISTRIBUTOR_REASON = 'The coordinator has no distributor configured, so there is no contract to claim from.';
export const LOCAL_KEY_REASON =
  'A local test key cannot pay for gas on a real network, so this page does not send claims in local mode. Copy the claim data below and send claim(epoch, account, amount, proof) to the distributor from a funded account (anyone may send it: the reward always goes to the account in the proof).';

/** Whether the wallet side is the URL's local key rather than a wallet. */
export function inLocalKeyMode(wallet: ClaimWalletView): boolean {
  return wallet.signerKind === 'local' || (wallet.signerKind === null && wallet.localWallet !== null);
}

/**
 * Why the claim button of `claim` is disabled, in plain words; null when it can be pressed. A claim
 * needs a posted, unclaimed epoch, a distributor address from the coordinator, and a wallet that pays
 * gas (HashConnect; never the URL's local key).
 */
export function claimBlockReason(claim: ClaimableEpoch, settings: ClaimSettings | null, wallet: ClaimWalletView): string | null {
  if (claim.claimed) return 'Already claimed.';
  if (!claim.posted) return "This epoch's root is not on chain yet; the coordinator posts it shortly after the epoch closes.";
  if (settings === null) return "Reading the coordinator's claim settings…";
  if (settings.distributorAddress === null) return NO_DISTRIBUTOR_REASON;
  if (inLocalKeyMode(wallet)) return LOCAL_KEY_REASON;
  if (wallet.hashConnectUnavailable !== null) return wallet.hashConnectUnavailable;
  return null;
}
