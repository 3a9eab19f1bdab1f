import type { HederaAccountId, HederaNetwork } from '@tessera/shared';

/** Which wallet a signer talks to: HashPack and others over HashConnect, or a key given in the URL (development). */
export type WalletSignerKind = 'hashconnect' | 'local';

export type WalletSignerState = 'disconnected' | 'pairing' | 'connected';

/** The account a wallet paired with, and the network it says it is on. */
export interface WalletConnection {
  accountId: HederaAccountId;
  network: string;
}

/** A wallet's signature over a message, as `POST /api/v1/wallet/link` takes it. */
export interface WalletSignature {
  /** 64 bytes in hex: Ed25519, or ECDSA secp256k1 `r ‖ s`, over `hederaSignedMessageBytes(message)`. */
  signature: string;
  /** The key that signed, DER-encoded hex (`PublicKey.toStringDer()`). */
  publicKey: string;
}

/** A call of a contract on Hedera's EVM, paid (gas and fee) by the connected account. */
export interface ContractCall {
  /** The contract's EVM address, `0x` and 40 hex digits (long-zero or not). */
  contractEvmAddress: `0x${string}`;
  /** ABI-encoded call data: selector and arguments. */
  callData: `0x${string}`;
  /** Gas limit; Hedera charges at least 80 % of it, so keep it near the estimate. */
  gas: number;
}

/** A contract call the wallet signed and sent: what to look up on the mirror node. */
export interface ContractCallSubmission {
  /** `0.0.N@seconds.nanos`, as the SDK writes transaction ids. */
  transactionId: string;
}

export type WalletSignerEvent =
  | { type: 'wallet:pairing' }
  | { type: 'wallet:connected'; connection: WalletConnection }
  | { type: 'wallet:disconnected'; reason: string | null };

/**
 * A wallet that can prove it controls a Hedera account by signing a message with the Hedera prefix
 * (`"\x19Hedera Signed Message:\n" + length + message`). Implementations: `HashConnectSigner`
 * (production: HashPack and other HashConnect wallets) and `LocalKeySigner` (development and tests).
 * Each must pass `describeWalletSigner` (wallet-signer-compliance.ts).
 */
export interface WalletSigner {
  readonly kind: WalletSignerKind;
  readonly state: WalletSignerState;
  /** Pairs (or reuses a pairing) and resolves with the account; `signal` abandons the wait. */
  connect(signal?: AbortSignal): Promise<WalletConnection>;
  /** Asks the wallet to sign `message` for the connected account; rejects with `WalletSignerError`. */
  signMessage(message: string): Promise<WalletSignature>;
  disconnect(): Promise<void>;
  /**
   * Signs and sends a `ContractExecuteTransaction` from the connected account, which pays the gas;
   * resolves once the wallet has submitted it (not when it reached consensus). Only wallets that hold
   * funds on the network implement it (`HashConnectSigner`); rejects with `WalletSignerError`.
   */
  executeContractCall?(call: ContractCall): Promise<ContractCallSubmission>;
  /** Calls `listener` on every event until the returned function is called. */
  subscribe(listener: (event: WalletSignerEvent) => void): () => void;
}

/**
 * Why a signer failed, for the page to say in plain words: `unavailable` (no WalletConnect project id,
 * the wallet library failed to start), `rejected` (the user or wallet declined), `not_connected`,
 * `invalid_key` (a local key that does not parse), `wrong_network`, `cancelled`, `failed` (anything else).
 */
export type WalletSignerErrorReason =
  'unavailable' | 'rejected' | 'not_connected' | 'invalid_key' | 'wrong_network' | 'cancelled' | 'failed';

export class WalletSignerError extends Error {
  readonly reason: WalletSignerErrorReason;
  constructor(reason: WalletSignerErrorReason, message: string) {
    super(message);
    this.name = 'WalletSignerError';
    this.reason = reason;
  }
}

/** The event plumbing both signers share. */
export class WalletSignerEvents {
  readonly #listeners = new Set<(event: WalletSignerEvent) => void>();

  subscribe(listener: (event: WalletSignerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: WalletSignerEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}

/** Whether a wallet's network name (`testnet`, `hedera:testnet`, `Testnet`…) is the coordinator's. */
export function sameNetwork(walletNetwork: string, network: HederaNetwork): boolean {
  return walletNetwork.toLowerCase().replace(/^hedera:/, '') === network;
}
