import { PrivateKey } from '@hashgraph/sdk';
import { bytesToHex, hederaSignedMessageBytes } from '@tessera/shared';
import type { HederaAccountId, HederaNetwork } from '@tessera/shared';
import { WalletSignerError, WalletSignerEvents } from './wallet-signer.ts';
import type { WalletConnection, WalletSignature, WalletSigner, WalletSignerEvent, WalletSignerState } from './wallet-signer.ts';

export interface LocalKeySignerOptions {
  accountId: HederaAccountId;
  /** The account's private key, DER-encoded hex (`PrivateKey.toStringDer()`, the portal's "DER Encoded Private Key"). */
  privateKeyDer: string;
  network: HederaNetwork;
}

/**
 * Parses a DER-encoded private key. A raw 32-byte key is refused: its hex does not say whether it is
 * Ed25519 or ECDSA, and guessing wrong would sign with a different key than the account's.
 */
export function parseLocalPrivateKey(text: string): PrivateKey {
  const hex = text.trim().replace(/^0x/i, '');
  if (/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new WalletSignerError(
      'invalid_key',
      'walletKey is a raw 32-byte key, which could be Ed25519 or ECDSA: give its DER encoding (PrivateKey.toStringDer(), starting 302e… or 3030…).',
    );
  }
  if (!/^(?:[0-9a-fA-F]{2}){40,200}$/.test(hex))
    throw new WalletSignerError('invalid_key', 'walletKey is not a DER-encoded private key in hex.');
  try {
    return PrivateKey.fromStringDer(hex);
  } catch {
    throw new WalletSignerError('invalid_key', 'walletKey is not a DER-encoded Ed25519 or ECDSA (secp256k1) private key.');
  }
}

/**
 * A wallet made of one private key, for development and tests (`?wallet=local&account=…&walletKey=…`).
 * It signs exactly as HashPack does for `hedera_signMessage`: the key's signature over
 * `hederaSignedMessageBytes(message)` (Ed25519 directly, ECDSA over the keccak-256).
 */
export class LocalKeySigner implements WalletSigner {
  readonly kind = 'local';
  #state: WalletSignerState = 'disconnected';
  readonly #key: PrivateKey;
  readonly #connection: WalletConnection;
  readonly #events = new WalletSignerEvents();

  /** Throws `WalletSignerError` (`invalid_key`) when the key does not parse. */
  constructor(options: LocalKeySignerOptions) {
    this.#key = parseLocalPrivateKey(options.privateKeyDer);
    this.#connection = { accountId: options.accountId, network: options.network };
  }

  get state(): WalletSignerState {
    return this.#state;
  }

  /** The key's public half, DER hex: what an account must have for links signed here to pass. */
  get publicKeyDer(): string {
    return this.#key.publicKey.toStringDer();
  }

  async connect(signal?: AbortSignal): Promise<WalletConnection> {
    if (signal?.aborted === true) throw new WalletSignerError('cancelled', 'Connecting was cancelled.');
    this.#state = 'connected';
    this.#events.emit({ type: 'wallet:connected', connection: this.#connection });
    return this.#connection;
  }

  async signMessage(message: string): Promise<WalletSignature> {
    if (this.#state !== 'connected') throw new WalletSignerError('not_connected', 'Connect the local key before signing.');
    return { signature: bytesToHex(this.#key.sign(hederaSignedMessageBytes(message))), publicKey: this.publicKeyDer };
  }

  async disconnect(): Promise<void> {
    if (this.#state === 'disconnected') return;
    this.#state = 'disconnected';
    this.#events.emit({ type: 'wallet:disconnected', reason: null });
  }

  subscribe(listener: (event: WalletSignerEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }
}
