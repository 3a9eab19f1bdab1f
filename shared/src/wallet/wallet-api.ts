import { z } from 'zod';
import { publicKeySchema, signatureSchema } from '../signing/signed-payloads.ts';
import { evmAddressSchema, hederaAccountIdSchema } from './hedera-account-id.ts';
import { walletMessageSchema } from './hedera-signed-message.ts';

/** The Hedera network wallets link on: the coordinator checks accounts against its mirror node. */
export const hederaNetworkSchema = z.enum(['mainnet', 'testnet', 'local']);
export type HederaNetwork = z.infer<typeof hederaNetworkSchema>;

/** The kinds of account key a link can be proven with; key lists and threshold keys cannot sign alone. */
export const walletKeyTypeSchema = z.enum(['ED25519', 'ECDSA_SECP256K1']);
export type WalletKeyType = z.infer<typeof walletKeyTypeSchema>;

export const walletChallengeIdSchema = z.uuid().brand<'WalletChallengeId'>();
export type WalletChallengeId = z.infer<typeof walletChallengeIdSchema>;

/** `POST /api/v1/wallet/challenge`: the tab's identity key, as in `worker:hello`. */
export const walletChallengeRequestSchema = z.strictObject({ publicKey: publicKeySchema });
export type WalletChallengeRequest = z.infer<typeof walletChallengeRequestSchema>;

/** The answer: a one-time message for the wallet to sign before `expiresAt` (ms since the epoch). */
export const walletChallengeSchema = z.object({
  challengeId: walletChallengeIdSchema,
  message: walletMessageSchema,
  expiresAt: z.number().int(),
});
export type WalletChallenge = z.infer<typeof walletChallengeSchema>;

/**
 * A 64-byte wallet signature in hex: Ed25519, or ECDSA secp256k1 as `r ‖ s` over the keccak-256 of the
 * message (what `PrivateKey.sign` and HashPack give). Either case.
 */
export const walletSignatureSchema = z.string().regex(/^[0-9a-fA-F]{128}$/, 'a 64-byte signature in hex (128 digits)');

/** A Hedera public key in hex, raw (32 bytes Ed25519, 33 compressed ECDSA) or DER-encoded. */
export const hederaPublicKeyHexSchema = z.string().regex(/^(?:[0-9a-fA-F]{2}){32,100}$/, 'a Hedera public key in hex, raw or DER');

/**
 * `POST /api/v1/wallet/link`. `signature` is the wallet's over `hederaSignedMessageBytes(message)` of
 * the challenge; `signerPublicKey` the key the wallet says it signed with (compared with the account's
 * key on the mirror node, for a clear error); `identitySignature` the tab's Ed25519 signature over
 * `walletLinkProofBytes` (base64url), proving the tab key's holder asks for this link.
 */
export const walletLinkRequestSchema = z.strictObject({
  challengeId: walletChallengeIdSchema,
  accountId: hederaAccountIdSchema,
  signature: walletSignatureSchema,
  signerPublicKey: hederaPublicKeyHexSchema.optional(),
  identitySignature: signatureSchema,
});
export type WalletLinkRequest = z.infer<typeof walletLinkRequestSchema>;

/** Which Hedera account a tab key's rewards go to. */
export const linkedAccountSchema = z.object({
  publicKey: publicKeySchema,
  accountId: hederaAccountIdSchema,
  /** The account's address on Hedera's EVM (where reward claims come from): long-zero for ED25519 keys. */
  evmAddress: evmAddressSchema,
  keyType: walletKeyTypeSchema,
  network: hederaNetworkSchema,
  /** ms since the epoch. */
  linkedAt: z.number().int(),
});
export type LinkedAccount = z.infer<typeof linkedAccountSchema>;

export const walletPublicKeyParamsSchema = z.object({ publicKey: publicKeySchema });

/** `GET /api/v1/wallet/config`: what the volunteer page needs to offer a wallet link. */
export const walletConfigSchema = z.object({
  network: hederaNetworkSchema,
  /** Whether this coordinator can check links (it knows a mirror node for its network). */
  linkingAvailable: z.boolean(),
  /** Why not, in words, when `linkingAvailable` is false. */
  unavailableReason: z.string().nullable(),
  /** For HashConnect (WalletConnect); null when the operator configured none. */
  walletConnectProjectId: z.string().nullable(),
  /** How long a challenge stays valid, ms. */
  challengeTtlMs: z.number().int(),
  /** The RewardDistributor's EVM address (lowercase), where claims go; null when settlement is off. */
  distributorAddress: evmAddressSchema.nullable(),
  /** Mirror node REST base (no /api/v1) the page uses to check claims before sending and read their outcome; null: the network's public one. */
  mirrorNodeUrl: z.url({ protocol: /^https?$/ }).nullable(),
});
export type WalletConfig = z.infer<typeof walletConfigSchema>;
