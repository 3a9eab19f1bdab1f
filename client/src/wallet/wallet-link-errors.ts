import { ApiError, describeError } from '../api/api-error.ts';
import { WalletSignerError } from './wallet-signer.ts';

/** What the page says for an API refusal, by code; the server's own message follows where it adds detail. */
const API_ADVICE: Record<string, (message: string) => string> = {
  challenge_expired: () =>
    'The wallet took longer than the coordinator allows for signing. Try again, and approve the request in the wallet sooner.',
  challenge_used: () => 'This link request was already used. Try again.',
  challenge_not_found: () => 'The coordinator no longer knows this link request (it may have restarted). Try again.',
  wallet_signature_invalid: (message) => `The coordinator could not verify the wallet's signature for this account. ${message}`,
  wallet_key_mismatch: () =>
    'The wallet signed with a key that does not control this account. Check that the wallet is using the account you want to link.',
  wallet_key_unsupported: (message) => message,
  account_not_found: (message) => message,
  mirror_node_unavailable: () => 'The coordinator could not reach the Hedera mirror node to check the account. Try again in a moment.',
  wallet_linking_unavailable: (message) => `Wallet linking is off on this coordinator. ${message}`,
  signature_invalid: () => 'This tab could not prove it holds its own key. Reload the page and try again.',
  rate_limited: () => 'Too many attempts. Wait a minute and try again.',
};

/**
 * An error of the wallet link flow in plain words: the wallet's (declined, wrong network, no project
 * id…), or the coordinator's by its error code. Null for a cancel the user asked for.
 */
export function walletLinkErrorText(error: unknown): string | null {
  if (error instanceof WalletSignerError) return error.reason === 'cancelled' ? null : error.message;
  if (error instanceof ApiError) {
    const advice = error.code === null ? undefined : API_ADVICE[error.code];
    return advice === undefined ? describeError(error) : advice(error.message);
  }
  return describeError(error);
}
