import { describeError } from '../api/api-error.ts';
import { WalletSignerError } from '../wallet/wallet-signer.ts';

/** A claim that cannot go on, in plain words for the page. */
export class ClaimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimError';
  }
}

/** Hedera response codes a claim can meet (from the wallet's precheck or the record), in plain words. */
const HEDERA_STATUS_ADVICE: Record<string, string> = {
  INSUFFICIENT_PAYER_BALANCE: "The wallet's account has too little HBAR to pay the transaction fee and gas.",
  INSUFFICIENT_ACCOUNT_BALANCE: "The wallet's account has too little HBAR to pay the transaction fee and gas.",
  INSUFFICIENT_TX_FEE: "The transaction fee offered was too low for the network's current prices. Try again.",
  INSUFFICIENT_GAS: 'The call ran out of gas. Try again: the gas limit comes from a fresh estimate each time.',
  MAX_GAS_LIMIT_EXCEEDED: 'The gas limit is above what the network allows for one transaction.',
  TRANSACTION_EXPIRED: 'The wallet sent the transaction after it expired (2 minutes). Try again and approve it sooner.',
  INVALID_CONTRACT_ID: "There is no contract at the coordinator's distributor address on this network.",
  INVALID_SOLIDITY_ADDRESS: "There is no contract at the coordinator's distributor address on this network.",
  CONTRACT_REVERT_EXECUTED: 'The distributor refused the claim.',
  DUPLICATE_TRANSACTION: 'The wallet sent this transaction twice; the first one counts.',
};

/** The advice for the first Hedera response code named in `text`, or null. */
export function hederaStatusAdvice(text: string): string | null {
  for (const [status, advice] of Object.entries(HEDERA_STATUS_ADVICE)) if (text.includes(status)) return advice;
  return null;
}

/** A claim failure in plain words: the wallet's, the network's or the distributor's. Null for a cancel the user asked for. */
export function claimErrorText(error: unknown): string | null {
  if (error instanceof ClaimError) return error.message;
  if (error instanceof WalletSignerError) {
    switch (error.reason) {
      case 'cancelled':
        return null;
      case 'rejected':
        return 'You declined the claim in the wallet: nothing was sent and nothing was paid.';
      case 'unavailable':
      case 'not_connected':
      case 'invalid_key':
      case 'wrong_network':
        return error.message;
      case 'failed': {
        const advice = hederaStatusAdvice(error.message);
        return advice === null ? error.message : `${advice} (${error.message})`;
      }
    }
  }
  return describeError(error);
}
