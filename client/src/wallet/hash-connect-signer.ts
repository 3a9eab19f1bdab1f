import { AccountId, PublicKey } from '@hashgraph/sdk';
import { bytesToHex, hederaAccountIdSchema } from '@tessera/shared';
import type { HederaNetwork } from '@tessera/shared';
import { z } from 'zod';
import { contractCallTransactionBase64 } from './contract-call-transaction.ts';
import { signatureMapFromBase64 } from './signature-map.ts';
import { WalletSignerError, WalletSignerEvents, sameNetwork } from './wallet-signer.ts';
import type {
  ContractCall,
  ContractCallSubmission,
  WalletConnection,
  WalletSignature,
  WalletSigner,
  WalletSignerEvent,
  WalletSignerState,
} from './wallet-signer.ts';

/** hashconnect's `SessionData`, the part we read: the paired accounts and the network. */
export interface HashConnectPairing {
  accountIds: string[];
  network: string;
}

/** A ts-typed-events `Event`, as hashconnect exposes them. */
export interface HashConnectEvent<Data> {
  on(callback: (data: Data) => void): void;
  off(listener: (data: Data) => void): boolean;
}

/** The HIP-820 requests we send: `hedera_signMessage` (a link) and `hedera_signAndExecuteTransaction` (a claim). */
export type HashConnectRequest =
  | { method: 'hedera_signMessage'; params: { signerAccountId: string; message: string } }
  | { method: 'hedera_signAndExecuteTransaction'; params: { signerAccountId: string; transactionList: string } };

/** hashconnect's signer for one account (a WalletConnect `DAppSigner`): we use its JSON-RPC `request`. */
export interface HashConnectAccountSigner {
  request(request: HashConnectRequest): Promise<unknown>;
}

/**
 * The part of hashconnect 3's `HashConnect` this signer uses; the real class satisfies it
 * (hash-connect-signer.browser.ts), tests give a fake that answers like a wallet.
 */
export interface HashConnectClient {
  readonly pairingEvent: HashConnectEvent<HashConnectPairing>;
  readonly disconnectionEvent: HashConnectEvent<void>;
  readonly connectedAccountIds: ReadonlyArray<{ toString(): string }>;
  init(): Promise<void>;
  openPairingModal(): Promise<void>;
  /** Takes an `AccountId`; typed by what it uses so hashconnect's own @hashgraph/sdk copy (2.41) fits too. */
  getSigner(accountId: { toString(): string }): HashConnectAccountSigner;
  disconnect(): Promise<void>;
}

export interface HashConnectSignerOptions {
  network: HederaNetwork;
  /** Makes (once) the HashConnect instance: loads the library, `new HashConnect(ledger, projectId, metadata)`. */
  createClient: () => Promise<HashConnectClient>;
  /** Called before each signing request; the browser build nudges the HashPack extension to show it. */
  beforeRequest?: () => void;
  /** How long to wait for the user to pair, ms. */
  pairingTimeoutMs?: number;
}

/** `hedera_signMessage`'s result (HIP-820 / @hashgraph/hedera-wallet-connect): a base64 `SignatureMap`. */
const signMessageResultSchema = z.object({ signatureMap: z.string().min(1) });

/** `hedera_signAndExecuteTransaction`'s result: the SDK's `TransactionResponse.toJSON()`. */
const executeResultSchema = z.object({
  transactionId: z.string().regex(/^\d+\.\d+\.\d+@\d+\.\d+/),
  transactionHash: z.string().optional(),
  nodeId: z.string().optional(),
});

/** What a WalletConnect or wallet error says, in one line: they are often plain objects `{ code, message }`. */
export function walletErrorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  if (typeof error === 'string') return error;
  return 'unknown error';
}

function looksRejected(text: string): boolean {
  return /reject|declin|denied|cancel/i.test(text);
}

/**
 * HashPack (or another HashConnect wallet) over WalletConnect. `connect()` reuses a restored session
 * or opens hashconnect's pairing modal and waits for `pairingEvent`. `signMessage` sends the same
 * `hedera_signMessage` request as hashconnect's own `signMessages` (`signerAccountId:
 * hedera:<network>:<account>`, the message as plain text; the wallet adds the Hedera prefix) and
 * reads the first pair of the returned `SignatureMap`. It does not call `signMessages` itself:
 * hashconnect 3.0.14 runs Node's global `Buffer` there, which a Vite page does not have.
 */
export class HashConnectSigner implements WalletSigner {
  readonly kind = 'hashconnect';
  #state: WalletSignerState = 'disconnected';
  #client: Promise<HashConnectClient> | null = null;
  #connection: WalletConnection | null = null;
  readonly #events = new WalletSignerEvents();
  readonly #options: HashConnectSignerOptions;

  constructor(options: HashConnectSignerOptions) {
    this.#options = options;
  }

  get state(): WalletSignerState {
    return this.#state;
  }

  async connect(signal?: AbortSignal): Promise<WalletConnection> {
    if (signal?.aborted === true) throw new WalletSignerError('cancelled', 'Connecting was cancelled.');
    if (this.#connection !== null) return this.#connection;
    this.#setState('pairing');
    this.#events.emit({ type: 'wallet:pairing' });
    try {
      const client = await this.#clientOnce();
      const pairing = await this.#waitForPairing(client, signal);
      const accountId = hederaAccountIdSchema.safeParse(pairing.accountIds[0]);
      if (!accountId.success)
        throw new WalletSignerError(
          'failed',
          `The wallet paired without a usable Hedera account (${String(pairing.accountIds[0] ?? 'none').slice(0, 40)}).`,
        );
      if (!sameNetwork(pairing.network, this.#options.network)) {
        throw new WalletSignerError(
          'wrong_network',
          `The wallet paired on ${pairing.network}, but this coordinator links ${this.#options.network} accounts. Switch the wallet's network and connect again.`,
        );
      }
      this.#connection = { accountId: accountId.data, network: this.#options.network };
      this.#setState('connected');
      this.#events.emit({ type: 'wallet:connected', connection: this.#connection });
      return this.#connection;
    } catch (error) {
      this.#setState('disconnected');
      if (error instanceof WalletSignerError) throw error;
      const text = walletErrorText(error);
      throw new WalletSignerError(looksRejected(text) ? 'rejected' : 'unavailable', `Could not pair with a wallet: ${text}`);
    }
  }

  async signMessage(message: string): Promise<WalletSignature> {
    const connection = this.#connection;
    if (connection === null) throw new WalletSignerError('not_connected', 'Connect a wallet before signing.');
    const client = await this.#clientOnce();
    let answer: unknown;
    try {
      const signer = client.getSigner(AccountId.fromString(connection.accountId));
      this.#options.beforeRequest?.();
      answer = await signer.request({
        method: 'hedera_signMessage',
        params: { signerAccountId: `hedera:${this.#options.network}:${connection.accountId}`, message },
      });
    } catch (error) {
      const text = walletErrorText(error);
      throw new WalletSignerError(
        looksRejected(text) ? 'rejected' : 'failed',
        looksRejected(text) ? `The wallet declined to sign: ${text}` : `The wallet could not sign: ${text}`,
      );
    }
    return signatureFromAnswer(answer);
  }

  /**
   * Builds the `ContractExecuteTransaction` itself (@hashgraph/sdk, payer = the connected account) and
   * sends it as `hedera_signAndExecuteTransaction`, the request hashconnect's own signer `call()` makes;
   * the wallet shows it, signs it, submits it and answers with the transaction id. Not through
   * `executeWithSigner`: hashconnect's signer is built on its own @hashgraph/sdk copy (2.41) and fetches
   * the receipt through a client of its own; the claim flow reads the outcome from the mirror node.
   */
  async executeContractCall(call: ContractCall): Promise<ContractCallSubmission> {
    const connection = this.#connection;
    if (connection === null) throw new WalletSignerError('not_connected', 'Connect a wallet before sending a transaction.');
    const client = await this.#clientOnce();
    const transactionList = contractCallTransactionBase64(call, connection.accountId, this.#options.network);
    let answer: unknown;
    try {
      const signer = client.getSigner(AccountId.fromString(connection.accountId));
      this.#options.beforeRequest?.();
      answer = await signer.request({
        method: 'hedera_signAndExecuteTransaction',
        params: { signerAccountId: `hedera:${this.#options.network}:${connection.accountId}`, transactionList },
      });
    } catch (error) {
      const text = walletErrorText(error);
      throw new WalletSignerError(
        looksRejected(text) ? 'rejected' : 'failed',
        looksRejected(text) ? `The wallet declined the transaction: ${text}` : `The wallet could not send the transaction: ${text}`,
      );
    }
    const parsed = executeResultSchema.safeParse(answer);
    if (!parsed.success)
      throw new WalletSignerError('failed', 'The wallet answered hedera_signAndExecuteTransaction without a transaction id.');
    return { transactionId: parsed.data.transactionId };
  }

  async disconnect(): Promise<void> {
    const client = this.#client === null ? null : await this.#client.catch(() => null);
    this.#connection = null;
    this.#setState('disconnected');
    await client?.disconnect().catch(() => undefined);
    this.#events.emit({ type: 'wallet:disconnected', reason: null });
  }

  subscribe(listener: (event: WalletSignerEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  #setState(state: WalletSignerState): void {
    this.#state = state;
  }

  /** Creates and initialises the client once; `init` restores an earlier session if the wallet kept it. */
  #clientOnce(): Promise<HashConnectClient> {
    if (this.#client === null) {
      const client = this.#options.createClient().then(async (created) => {
        created.disconnectionEvent.on(() => {
          if (this.#connection === null) return;
          this.#connection = null;
          this.#setState('disconnected');
          this.#events.emit({ type: 'wallet:disconnected', reason: 'The wallet ended the session.' });
        });
        await created.init();
        return created;
      });
      // A failed start (bad project id, no network) may succeed on the next click.
      client.catch(() => {
        if (this.#client === client) this.#client = null;
      });
      this.#client = client;
    }
    return this.#client;
  }

  /** A restored session's accounts, else the pairing modal's answer. */
  #waitForPairing(client: HashConnectClient, signal: AbortSignal | undefined): Promise<HashConnectPairing> {
    const restored = client.connectedAccountIds.map((id) => id.toString());
    if (restored.length > 0) return Promise.resolve({ accountIds: restored, network: this.#options.network });
    return new Promise<HashConnectPairing>((resolve, reject) => {
      const timeoutMs = this.#options.pairingTimeoutMs ?? 5 * 60_000;
      const finish = (outcome: () => void) => {
        client.pairingEvent.off(onPairing);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        outcome();
      };
      const onPairing = (pairing: HashConnectPairing) => {
        if (pairing.accountIds.length > 0) finish(() => resolve(pairing));
      };
      const onAbort = () => finish(() => reject(new WalletSignerError('cancelled', 'Connecting was cancelled.')));
      const timer = setTimeout(
        () => finish(() => reject(new WalletSignerError('failed', `No wallet paired within ${Math.round(timeoutMs / 1000)} s.`))),
        timeoutMs,
      );
      if (signal?.aborted === true) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      client.pairingEvent.on(onPairing);
      client.openPairingModal().catch((error: unknown) => finish(() => reject(error)));
    });
  }
}

/** The wallet's `hedera_signMessage` answer as the link request wants it: hex signature, DER key. */
export function signatureFromAnswer(answer: unknown): WalletSignature {
  const parsed = signMessageResultSchema.safeParse(answer);
  if (!parsed.success) throw new WalletSignerError('failed', 'The wallet answered hedera_signMessage without a signatureMap.');
  let pair;
  try {
    pair = signatureMapFromBase64(parsed.data.signatureMap)[0];
  } catch (error) {
    throw new WalletSignerError('failed', `The wallet's signatureMap is malformed: ${walletErrorText(error)}`);
  }
  const signature = pair?.ed25519 ?? pair?.ecdsaSecp256k1 ?? null;
  if (pair === undefined || signature === null)
    throw new WalletSignerError('failed', "The wallet's signatureMap holds no Ed25519 or ECDSA signature.");
  let publicKey: PublicKey;
  try {
    publicKey = pair.ed25519 !== null ? PublicKey.fromBytesED25519(pair.pubKeyPrefix) : PublicKey.fromBytesECDSA(pair.pubKeyPrefix);
  } catch {
    throw new WalletSignerError('failed', "The wallet's signatureMap names no full public key (pubKeyPrefix).");
  }
  return { signature: bytesToHex(signature), publicKey: publicKey.toStringDer() };
}
