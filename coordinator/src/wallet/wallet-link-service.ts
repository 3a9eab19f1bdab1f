import { TesseraError, longZeroEvmAddress, evmAddressSchema, walletLinkProofBytes } from '@tessera/shared';
import type {
  EvmAddress,
  HederaAccountId,
  HederaNetwork,
  LinkedAccount,
  WalletChallenge,
  WalletConfig,
  WalletLinkRequest,
} from '@tessera/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { SqlDatabase } from '../db/sql-database.ts';
import { Ed25519Key } from '../workers/ed25519-key.ts';
import { accountKeyFromMirror, parseSignerPublicKey, verifyWalletSignature } from './account-key.ts';
import type { AccountKey } from './account-key.ts';
import { ChallengeBook } from './challenge-book.ts';
import { createHttpMirrorNodeClient } from './mirror-node-client.ts';
import type { MirrorAccount, MirrorNodeClient } from './mirror-node-client.ts';
import { WalletLinkStore } from './wallet-link-store.ts';

/** Where a tab key's rewards go: what the ledger and the settlement loop read. */
export interface WalletLinks {
  /** The account linked to this tab key on the coordinator's network, if any. */
  linkedAccount(publicKey: string): { accountId: HederaAccountId; evmAddress: EvmAddress } | undefined;
}

/** The public mirror nodes; a `local` network (Hedera's local node: http://localhost:5551) names its own. */
export const PUBLIC_MIRROR_NODES = {
  mainnet: 'https://mainnet.mirrornode.hedera.com',
  testnet: 'https://testnet.mirrornode.hedera.com',
} as const satisfies Partial<Record<HederaNetwork, string>>;

export const DEFAULT_CHALLENGE_TTL_MS = 5 * 60_000;
export const DEFAULT_MIRROR_NODE_TIMEOUT_MS = 5_000;

/** The mirror node to ask: the one configured, else the network's public one; null for `local` without one. */
export function resolveMirrorNodeUrl(network: HederaNetwork, configured: string | undefined): string | null {
  if (configured !== undefined && configured !== '') return configured;
  return network === 'local' ? null : PUBLIC_MIRROR_NODES[network];
}

type WalletLogger = Pick<FastifyBaseLogger, 'info' | 'warn'>;

export interface WalletLinkServiceOptions {
  /** The coordinator's database (table `wallet_links`). */
  db: SqlDatabase;
  network: HederaNetwork;
  /** Mirror node REST base; empty or absent: the network's public one (required for `local`). */
  mirrorNodeUrl?: string;
  /** Handed to the page for HashConnect; empty or absent: none. */
  walletConnectProjectId?: string;
  /** Handed to the page for claims; empty or absent: settlement is off. */
  distributorAddress?: string;
  challengeTtlMs?: number;
  mirrorNodeTimeoutMs?: number;
  /** Replaces the HTTP mirror node client (for tests of other parts). */
  mirror?: MirrorNodeClient;
  now?: () => number;
  logger?: WalletLogger;
}

export interface WalletLinkServiceComponents {
  network: HederaNetwork;
  store: WalletLinkStore;
  challenges: ChallengeBook;
  /** null: linking is unavailable (no mirror node for this network). */
  mirror: MirrorNodeClient | null;
  walletConnectProjectId: string | null;
  distributorAddress: EvmAddress | null;
  mirrorNodeUrl: string | null;
  challengeTtlMs: number;
  now: () => number;
  logger: WalletLogger;
}

/**
 * Links a Hedera account to a tab's identity key: issues one-time challenges, checks the wallet's
 * signature against the account's key on the mirror node and the tab's own signature against its key,
 * and keeps the link in the coordinator's database. See coordinator/src/wallet/README.md.
 */
export class WalletLinkService implements WalletLinks {
  readonly #parts: WalletLinkServiceComponents;

  constructor(parts: WalletLinkServiceComponents) {
    this.#parts = parts;
  }

  config(): WalletConfig {
    const { network, mirror, walletConnectProjectId, challengeTtlMs, distributorAddress, mirrorNodeUrl } = this.#parts;
    return {
      network,
      linkingAvailable: mirror !== null,
      unavailableReason: mirror === null ? `No mirror node is configured for the ${network} network (set TESSERA_MIRROR_NODE_URL).` : null,
      walletConnectProjectId,
      challengeTtlMs,
      distributorAddress,
      mirrorNodeUrl,
    };
  }

  challenge(publicKey: string): WalletChallenge {
    this.#mirror();
    const { challengeId, message, expiresAt } = this.#parts.challenges.issue(publicKey);
    return { challengeId, message, expiresAt };
  }

  /**
   * Checks and stores a link. The challenge is spent first (synchronously), so a replay or a racing
   * request fails whatever happens next; then the tab's proof, the mirror node's account and key, and
   * the wallet's signature. Throws `TesseraError` with the first check that fails.
   */
  async link(request: WalletLinkRequest): Promise<LinkedAccount> {
    const mirror = this.#mirror();
    const challenge = this.#parts.challenges.take(request.challengeId);
    const { publicKey } = challenge;

    const proof = walletLinkProofBytes({ publicKey, challengeId: challenge.challengeId, accountId: request.accountId });
    if (!tabKeySigned(publicKey, proof, request.identitySignature)) {
      throw new TesseraError(
        'signature_invalid',
        "identitySignature is not this tab key's signature over the link request (walletLinkProofBytes).",
        'identitySignature',
      );
    }

    const account = await mirror.account(request.accountId);
    if (account === null || account.deleted === true) {
      throw new TesseraError(
        'account_not_found',
        account === null
          ? `The ${this.#parts.network} mirror node knows no account ${request.accountId} (a new account appears there after a few seconds).`
          : `Account ${request.accountId} is deleted on ${this.#parts.network}.`,
        'accountId',
      );
    }
    const key = accountKeyFromMirror(account);

    if (request.signerPublicKey !== undefined) {
      const signer = parseSignerPublicKey(request.signerPublicKey);
      if (signer === null)
        throw new TesseraError('invalid_request', 'signerPublicKey is not a Hedera public key (raw or DER hex).', 'signerPublicKey');
      if (!signer.equals(key.publicKey)) {
        throw new TesseraError(
          'wallet_key_mismatch',
          `The wallet signed with a key that is not account ${request.accountId}'s key on ${this.#parts.network}: sign with that account, or link the account this key belongs to.`,
          'signerPublicKey',
        );
      }
    }
    if (!verifyWalletSignature(key.publicKey, challenge.message, request.signature)) {
      throw new TesseraError(
        'wallet_signature_invalid',
        `The signature does not verify with account ${request.accountId}'s ${key.type} key over the challenge message (with the Hedera signed-message prefix).`,
        'signature',
      );
    }

    const link: LinkedAccount = {
      publicKey,
      accountId: request.accountId,
      evmAddress: evmAddressOf(request.accountId, key, account),
      keyType: key.type,
      network: this.#parts.network,
      linkedAt: this.#parts.now(),
    };
    this.#parts.store.put(link);
    this.#parts.logger.info({ key: publicKey.slice(0, 12), accountId: link.accountId, keyType: link.keyType }, 'wallet linked');
    return link;
  }

  /** The link of a tab key on this coordinator's network (links made on another network do not count). */
  get(publicKey: string): LinkedAccount | undefined {
    const link = this.#parts.store.get(publicKey);
    return link !== undefined && link.network === this.#parts.network ? link : undefined;
  }

  linkedAccount(publicKey: string): { accountId: HederaAccountId; evmAddress: EvmAddress } | undefined {
    const link = this.get(publicKey);
    return link === undefined ? undefined : { accountId: link.accountId, evmAddress: link.evmAddress };
  }

  #mirror(): MirrorNodeClient {
    const { mirror } = this.#parts;
    if (mirror === null) throw new TesseraError('wallet_linking_unavailable', this.config().unavailableReason ?? undefined);
    return mirror;
  }
}

function tabKeySigned(publicKey: string, bytes: Uint8Array, signature: string): boolean {
  try {
    return new Ed25519Key(publicKey).verify(bytes, signature);
  } catch {
    // Not a point on the curve: no signature can verify.
    return false;
  }
}

/**
 * The account's address on Hedera's EVM. ED25519 accounts have none but their long-zero address,
 * computed here. ECDSA accounts use the mirror node's `evm_address` (their key-derived alias when they
 * have one, which stays the same if the key is later rotated), else the long-zero address.
 */
function evmAddressOf(accountId: HederaAccountId, key: AccountKey, account: MirrorAccount): EvmAddress {
  if (key.type === 'ED25519') return longZeroEvmAddress(accountId);
  const reported = evmAddressSchema.safeParse(account.evm_address?.toLowerCase());
  return reported.success ? reported.data : longZeroEvmAddress(accountId);
}

/**
 * Builds the wallet link service from configuration: the HTTP mirror node client for the network
 * (or none: linking then answers `wallet_linking_unavailable`), the challenge book, the link store.
 *
 * @example
 * const wallet = createWalletLinkService({ db, network: 'testnet', walletConnectProjectId: config.walletConnectProjectId, logger: app.log });
 * app.register(walletRoutes, { wallet });
 */
export function createWalletLinkService(options: WalletLinkServiceOptions): WalletLinkService {
  const now = options.now ?? Date.now;
  const logger: WalletLogger = options.logger ?? { info: () => {}, warn: () => {} };
  const challengeTtlMs = options.challengeTtlMs ?? DEFAULT_CHALLENGE_TTL_MS;
  const mirrorUrl = resolveMirrorNodeUrl(options.network, options.mirrorNodeUrl);
  const mirror =
    options.mirror ??
    (mirrorUrl === null
      ? null
      : createHttpMirrorNodeClient({ baseUrl: mirrorUrl, timeoutMs: options.mirrorNodeTimeoutMs ?? DEFAULT_MIRROR_NODE_TIMEOUT_MS }));
  if (mirror === null)
    logger.warn(
      { network: options.network },
      'wallet linking is off: no mirror node configured for this network (TESSERA_MIRROR_NODE_URL)',
    );
  const projectId = options.walletConnectProjectId?.trim() ?? '';
  return new WalletLinkService({
    network: options.network,
    store: new WalletLinkStore(options.db),
    challenges: new ChallengeBook({ network: options.network, ttlMs: challengeTtlMs, now }),
    mirror,
    walletConnectProjectId: projectId === '' ? null : projectId,
    distributorAddress: options.distributorAddress ? evmAddressSchema.parse(options.distributorAddress.toLowerCase()) : null,
    mirrorNodeUrl: mirrorUrl,
    challengeTtlMs,
    now,
    logger,
  });
}
