import { PublicKey } from '@hashgraph/sdk';
import { TesseraError, hederaSignedMessageBytes, hexToBytes } from '@tessera/shared';
import type { WalletKeyType } from '@tessera/shared';
import type { MirrorAccount } from './mirror-node-client.ts';

/** An account's single signing key, as the mirror node reports it. */
export interface AccountKey {
  type: WalletKeyType;
  publicKey: PublicKey;
}

/**
 * The account's key from the mirror node's `key` field. Key lists and threshold keys
 * (`ProtobufEncoded`) and accounts without a key cannot prove a link with one signature.
 */
export function accountKeyFromMirror(account: MirrorAccount): AccountKey {
  const key = account.key;
  if (key === null)
    throw new TesseraError('wallet_key_unsupported', `Account ${account.account} has no key, so no wallet can sign for it.`, 'accountId');
  try {
    switch (key._type) {
      case 'ED25519':
        return { type: 'ED25519', publicKey: PublicKey.fromStringED25519(key.key) };
      case 'ECDSA_SECP256K1':
        return { type: 'ECDSA_SECP256K1', publicKey: PublicKey.fromStringECDSA(key.key) };
      default:
        break;
    }
  } catch {
    throw new TesseraError(
      'mirror_node_unavailable',
      `The Hedera mirror node answered with an unreadable ${key._type} key for ${account.account}; try again shortly.`,
    );
  }
  throw new TesseraError(
    'wallet_key_unsupported',
    `Account ${account.account} is controlled by a ${key._type === 'ProtobufEncoded' ? 'key list or threshold key' : `${key._type.slice(0, 40)} key`}; link an account with a single ED25519 or ECDSA (secp256k1) key.`,
    'accountId',
  );
}

/** Parses the key a wallet says it signed with: raw or DER hex. Null when it is no Hedera key. */
export function parseSignerPublicKey(hex: string): PublicKey | null {
  try {
    return PublicKey.fromString(hex);
  } catch {
    return null;
  }
}

/**
 * Whether `signatureHex` is `key`'s signature over the Hedera-prefixed `message`: what a wallet's
 * `hedera_signMessage` produces (Ed25519 over the bytes; ECDSA secp256k1 over their keccak-256).
 */
export function verifyWalletSignature(key: PublicKey, message: string, signatureHex: string): boolean {
  try {
    return key.verify(hederaSignedMessageBytes(message), hexToBytes(signatureHex));
  } catch {
    return false;
  }
}
