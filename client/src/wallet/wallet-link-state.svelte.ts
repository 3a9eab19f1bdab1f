import type { LinkedAccount, WalletConfig } from '@tessera/shared';
import { describeError } from '../api/api-error.ts';
import { hashConnectUnavailableReason } from './hash-connect-availability.ts';
import { linkWallet } from './link-wallet.ts';
import type { LinkIdentity } from './link-wallet.ts';
import type { WalletApi } from './wallet-api.ts';
import { walletLinkErrorText } from './wallet-link-errors.ts';
import type { LocalWalletOptions } from './wallet-options.ts';
import { WalletSignerError } from './wallet-signer.ts';
import type { WalletConnection, WalletSigner, WalletSignerKind } from './wallet-signer.ts';

export interface WalletLinkDependencies {
  api: WalletApi;
  /** The tab's identity, for the link's proof; rejects with a reason in plain words when there is none. */
  identity: () => Promise<LinkIdentity>;
  /** The URL's local test key (`?wallet=local&…`), offered on the page; null when not asked for. */
  localWallet: LocalWalletOptions | null;
  /** Wallet URL parameters that were ignored, to show. */
  warnings: readonly string[];
  /**
   * The signers, made on first use. Async so the page loads @hashgraph/sdk and hashconnect (megabytes)
   * only when the user asks to link: `HashConnectSigner` for `hashconnect`, `LocalKeySigner` for `local`.
   */
  createHashConnectSigner: (config: WalletConfig) => Promise<WalletSigner>;
  createLocalSigner: (options: LocalWalletOptions, config: WalletConfig) => Promise<WalletSigner>;
}

/** What the panel is doing: loading the link, or one step of linking. */
export type WalletLinkPhase = 'loading' | 'idle' | 'connecting' | 'signing' | 'linking';

/**
 * The wallet link as the volunteer page sees it: the coordinator's wallet settings, this tab key's
 * linked account, and the flow that links one (connect a wallet, get a challenge, have the wallet sign
 * it, prove the tab key, post the link). Components read its fields and call its methods.
 */
export class WalletLinkState {
  config = $state.raw<WalletConfig | null>(null);
  /** This tab key's linked account on the coordinator's network. */
  link = $state.raw<LinkedAccount | null>(null);
  phase = $state<WalletLinkPhase>('loading');
  error = $state<string | null>(null);
  /** The wallet currently connected, and which kind. */
  wallet = $state.raw<WalletConnection | null>(null);
  signerKind = $state<WalletSignerKind | null>(null);
  readonly localWallet: LocalWalletOptions | null;
  readonly warnings: readonly string[];

  readonly busy: boolean = $derived(this.phase === 'connecting' || this.phase === 'signing' || this.phase === 'linking');
  /** Why "Connect wallet" (HashConnect) cannot work here; null when it can. */
  readonly hashConnectUnavailable: string | null = $derived(this.config === null ? null : hashConnectUnavailableReason(this.config));

  readonly #deps: WalletLinkDependencies;
  #publicKey: string | null = null;
  #following = false;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a private cache of signers; nothing renders it
  readonly #signers = new Map<WalletSignerKind, Promise<WalletSigner>>();
  #abort: AbortController | null = null;
  #configLoad: Promise<WalletConfig | null> | null = null;

  constructor(deps: WalletLinkDependencies) {
    this.#deps = deps;
    this.localWallet = deps.localWallet;
    this.warnings = deps.warnings;
  }

  /** Loads the coordinator's wallet settings (once) and the link of `publicKey` (each time it changes). */
  async follow(publicKey: string | null): Promise<void> {
    if (this.#following && publicKey === this.#publicKey) return;
    this.#following = true;
    this.#publicKey = publicKey;
    if (!this.busy) this.phase = 'loading';
    const config = await this.#loadConfig();
    try {
      if (config === null || publicKey === null) return;
      const link = await this.#deps.api.linked(publicKey);
      if (this.#publicKey === publicKey) this.link = link;
    } catch (error) {
      this.error = `Could not read this tab's wallet link: ${describeError(error)}`;
    } finally {
      if (!this.busy && this.#publicKey === publicKey) this.phase = 'idle';
    }
  }

  /**
   * Links the account of a wallet to this tab key: `hashconnect` pairs with HashPack (or reuses the
   * pairing), `local` uses the URL's test key. Errors end in `error`, in plain words.
   */
  async linkWith(kind: WalletSignerKind): Promise<void> {
    const config = this.config;
    if (config === null || !config.linkingAvailable || this.busy) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.error = null;
    try {
      this.phase = 'connecting';
      this.link = await linkWallet({
        signer: await this.#signer(kind, config),
        identity: this.#deps.identity,
        api: this.#deps.api,
        signal: abort.signal,
        onStep: (step) => {
          this.phase = step;
        },
        onConnected: (connection) => {
          this.wallet = connection;
          this.signerKind = kind;
        },
      });
    } catch (error) {
      this.error = walletLinkErrorText(error);
    } finally {
      if (this.#abort === abort) this.#abort = null;
      this.phase = 'idle';
    }
  }

  /** Stops waiting for the wallet (pairing or signing); a signature that still arrives is not used. */
  cancel(): void {
    this.#abort?.abort();
  }

  /**
   * The wallet of `kind`, connected: the same signer linking uses (so one HashConnect pairing serves
   * both), pairing first if needed; `signal` abandons the pairing. For the rewards panel's claims;
   * rejects with `WalletSignerError`.
   */
  async connectedSigner(kind: WalletSignerKind, signal?: AbortSignal): Promise<WalletSigner> {
    const config = this.config ?? (await this.#loadConfig());
    if (config === null) throw new WalletSignerError('unavailable', this.error ?? "The coordinator's wallet settings could not be read.");
    const signer = await this.#signer(kind, config);
    this.wallet = await signer.connect(signal);
    this.signerKind = kind;
    return signer;
  }

  /** Ends the wallet session (the link stays: it is the coordinator's record). */
  async disconnectWallet(): Promise<void> {
    const kind = this.signerKind;
    if (kind === null) return;
    await (await this.#signers.get(kind))?.disconnect();
  }

  #signer(kind: WalletSignerKind, config: WalletConfig): Promise<WalletSigner> {
    const existing = this.#signers.get(kind);
    if (existing !== undefined) return existing;
    const local = this.localWallet;
    if (kind === 'local' && local === null) {
      return Promise.reject(
        new WalletSignerError('unavailable', 'No local test key was given in the address (wallet=local&account=…&walletKey=…).'),
      );
    }
    const made = (
      kind === 'hashconnect' || local === null ? this.#deps.createHashConnectSigner(config) : this.#deps.createLocalSigner(local, config)
    ).then((signer) => {
      signer.subscribe((event) => {
        if (event.type !== 'wallet:disconnected' || this.signerKind !== kind) return;
        this.wallet = null;
        this.signerKind = null;
        if (event.reason !== null) this.error = event.reason;
      });
      return signer;
    });
    // A signer that could not be made (a key that does not parse) is made again on the next try.
    made.catch(() => this.#signers.delete(kind));
    this.#signers.set(kind, made);
    return made;
  }

  #loadConfig(): Promise<WalletConfig | null> {
    this.#configLoad ??= this.#deps.api.config().then(
      (config) => {
        this.config = config;
        return config;
      },
      (error: unknown) => {
        this.error = `Could not read the coordinator's wallet settings: ${describeError(error)}`;
        this.#configLoad = null;
        return null;
      },
    );
    return this.#configLoad;
  }
}
