import { z } from 'zod';
import { canonicalBytes } from '../signing/canonical-json.ts';
import type { HederaAccountId } from './hedera-account-id.ts';

/**
 * What Hedera wallets put before a message they sign (HIP-820's `hedera_signMessage`): the byte 0x19,
 * then `Hedera Signed Message:\n`. hashconnect 3.0.14 takes it from `prefixMessageToSign` in
 * `@hashgraph/hedera-wallet-connect` 1.0.6: `"\x19Hedera Signed Message:\n" + message.length + message`.
 */
export const HEDERA_SIGNED_MESSAGE_PREFIX = '\x19Hedera Signed Message:\n';

/**
 * The text a wallet signs for `message`: the prefix, the message's length, the message. The length is
 * JavaScript's `message.length` (UTF-16 code units), as in the wallets' own code, not a byte count;
 * the two agree for the ASCII messages the coordinator issues (`walletMessageSchema`).
 */
export function prefixHederaMessage(message: string): string {
  return `${HEDERA_SIGNED_MESSAGE_PREFIX}${message.length}${message}`;
}

/** The bytes a wallet's key signs for `message`: the prefixed text in UTF-8. */
export function hederaSignedMessageBytes(message: string): Uint8Array {
  return new TextEncoder().encode(prefixHederaMessage(message));
}

/** A message the coordinator asks a wallet to sign: printable ASCII and newlines only, so length is unambiguous. */
export const walletMessageSchema = z
  .string()
  .min(1)
  .max(2000)
  .regex(/^[\x20-\x7e\n]+$/, 'printable ASCII and newlines');

export interface WalletLinkMessageFields {
  /** The tab's Ed25519 identity key (base64url) the account is being linked to. */
  publicKey: string;
  network: string;
  challengeId: string;
  /** Random, base64url. */
  nonce: string;
  /** When the challenge stops being accepted, ms since the epoch. */
  expiresAt: number;
}

/**
 * The challenge text a wallet shows and signs. It names the tab key it links, so a signature cannot be
 * used to link another tab, and carries a one-time challenge id and nonce, so it cannot be replayed.
 */
export function walletLinkMessage(fields: WalletLinkMessageFields): string {
  return [
    'Tessera wallet link',
    '',
    'Sign to receive the Tessera rewards earned by the browser key below in this Hedera account.',
    'This is not a transaction: it moves no funds and costs no fee.',
    '',
    `Browser key: ${fields.publicKey}`,
    `Network: ${fields.network}`,
    `Challenge: ${fields.challengeId}`,
    `Nonce: ${fields.nonce}`,
    `Expires: ${new Date(fields.expiresAt).toISOString()}`,
  ].join('\n');
}

/**
 * What the tab signs with its own Ed25519 identity key when it asks for a link: proof that whoever
 * links an account to a tab key holds that key (otherwise anyone could point another tab's rewards at
 * their own account). Canonical JSON, like the other signed payloads.
 */
export function walletLinkProofBytes(fields: { publicKey: string; challengeId: string; accountId: HederaAccountId }): Uint8Array {
  return canonicalBytes({ type: 'wallet:link', publicKey: fields.publicKey, challengeId: fields.challengeId, accountId: fields.accountId });
}
