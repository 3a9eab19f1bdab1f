import type { RewardsView } from '@tessera/shared';
import { ChainedPoller } from '../api/chained-poller.ts';
import { describeError } from '../api/api-error.ts';
import { WalletSignerError } from '../wallet/wallet-signer.ts';
import type { WalletSigner } from '../wallet/wallet-signer.ts';
import { claimBlockReason } from './claim-availability.ts';
import type { ClaimWalletView } from './claim-availability.ts';
import { claimErrorText } from './claim-errors.ts';
import type { ClaimReceipt, ClaimRewardOptions, ClaimStep } from './claim-reward.ts';
import type { ClaimSettings } from './claim-settings.ts';
import type { MirrorContracts } from './mirror-contracts.ts';
import type { RewardsApi } from './rewards-api.ts';

export const REWARDS_POLL_INTERVAL_MS = 5000;

/** Where one epoch's claim is: connecting the wallet, a `ClaimStep`, then sent (outcome not seen yet) or confirmed. */
export type EpochClaimPhase = 'connecting' | ClaimStep | 'sent' | 'confirmed';

export interface EpochClaimProgress {
  phase: EpochClaimPhase;
  /** Once the wallet sent it. */
  transactionId: string | null;
}

/** Everything the rewards panel shows, as one immutable value: a new object on every change. */
export interface RewardsSnapshot {
  publicKey: string | null;
  view: RewardsView | null;
  settings: ClaimSettings | null;
  /** Why the last read failed; null after a good one. */
  error: string | null;
  /** Why the last claim failed (or could not start); cleared when a claim starts. */
  claimError: string | null;
  /** Claims under way or sent from this page, by epoch. */
  claims: Readonly<Record<number, EpochClaimProgress>>;
  updatedAt: number | null;
}

/** The wallet side of a claim: `WalletLinkState` fits. */
export interface ClaimWallet extends ClaimWalletView {
  /** The HashConnect signer, connected (pairing if needed); `signal` abandons the pairing. */
  connectedSigner(kind: 'hashconnect', signal?: AbortSignal): Promise<WalletSigner>;
}

export interface RewardsTrackerDependencies {
  api: RewardsApi;
  /** `claimReward` (claim-reward.ts); the page loads it, with viem and the ABI, on the first claim. */
  claimReward: (options: ClaimRewardOptions) => Promise<ClaimReceipt>;
  /** A mirror node client for a base URL (`createMirrorContracts`). */
  mirror: (baseUrl: string) => MirrorContracts;
  pollIntervalMs?: number;
  now?: () => number;
}

/** The snapshot before anything was read. */
export const EMPTY_REWARDS_SNAPSHOT: RewardsSnapshot = {
  publicKey: null,
  view: null,
  settings: null,
  error: null,
  claimError: null,
  claims: {},
  updatedAt: null,
};

/** `promise`, or a rejection as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new WalletSignerError('cancelled', 'The claim was cancelled.'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * A tab key's rewards, read from `GET /api/v1/rewards/{publicKey}` at once and then every 5 s while
 * started, and the claims sent from this page. Plain TypeScript with a snapshot and listeners, so it
 * runs under the unit tests as it runs in the page; `RewardsState` mirrors the snapshot into runes.
 */
export class RewardsTracker {
  #snapshot: RewardsSnapshot = EMPTY_REWARDS_SNAPSHOT;
  readonly #listeners = new Set<(snapshot: RewardsSnapshot) => void>();
  readonly #deps: RewardsTrackerDependencies;
  readonly #poller: ChainedPoller;
  readonly #claimAborts = new Map<number, AbortController>();

  constructor(deps: RewardsTrackerDependencies) {
    this.#deps = deps;
    this.#poller = new ChainedPoller({ intervalMs: deps.pollIntervalMs ?? REWARDS_POLL_INTERVAL_MS, poll: (signal) => this.#read(signal) });
  }

  get snapshot(): RewardsSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: (snapshot: RewardsSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reads now and every few seconds while a key is followed. */
  start(): void {
    this.#poller.start();
  }

  /** Stops reading, and stops waiting for the outcome of claims (the coordinator still sees them). */
  stop(): void {
    this.#poller.stop();
    for (const abort of this.#claimAborts.values()) abort.abort();
  }

  /** Follows another key (the tab's, once loaded): forgets the previous key's view and reads at once. */
  follow(publicKey: string | null): void {
    if (publicKey === this.#snapshot.publicKey) return;
    this.#update({ ...EMPTY_REWARDS_SNAPSHOT, publicKey, settings: this.#snapshot.settings });
    void this.refresh();
  }

  /** Reads now (instead of at the next tick); resolves when the read is done. */
  refresh(): Promise<void> {
    return this.#poller.pollNow();
  }

  async #read(signal: AbortSignal): Promise<void> {
    const publicKey = this.#snapshot.publicKey;
    if (publicKey === null) return;
    const { api } = this.#deps;
    try {
      const [view, settings] = await Promise.all([
        api.rewards(publicKey, signal),
        this.#snapshot.settings === null ? api.claimSettings(signal).catch(() => null) : Promise.resolve(this.#snapshot.settings),
      ]);
      if (signal.aborted) return;
      this.#update({ view, settings, error: null, updatedAt: (this.#deps.now ?? Date.now)() });
    } catch (error) {
      if (signal.aborted) return;
      this.#update({ error: `Could not read this tab's rewards: ${describeError(error)}` });
    }
  }

  /**
   * Claims `epoch` with the wallet's HashConnect signer: the wallet pays the gas, the reward goes to
   * the linked account. Progress lands in `snapshot.claims[epoch]`, a failure in `snapshot.claimError`.
   */
  async claim(epoch: number, wallet: ClaimWallet): Promise<void> {
    const { view, settings } = this.#snapshot;
    const claim = view?.epochs.find((entry) => entry.epoch === epoch);
    if (claim === undefined || this.#claimAborts.has(epoch)) return;
    const blocked = claimBlockReason(claim, settings, wallet);
    if (blocked !== null || settings === null || settings.distributorAddress === null) {
      this.#update({ claimError: blocked });
      return;
    }
    const abort = new AbortController();
    this.#claimAborts.set(epoch, abort);
    this.#update({ claimError: null });
    this.#setClaim(epoch, { phase: 'connecting', transactionId: null });
    try {
      // Raced with the signal: a wallet library that never starts (no relay) must not hold the button forever.
      const signer = await untilAborted(wallet.connectedSigner('hashconnect', abort.signal), abort.signal);
      const receipt = await this.#deps.claimReward({
        claim,
        distributorAddress: settings.distributorAddress,
        signer,
        mirror: settings.mirrorNodeUrl === null ? null : this.#deps.mirror(settings.mirrorNodeUrl),
        signal: abort.signal,
        onStep: (phase) => this.#setClaim(epoch, { phase, transactionId: null }),
      });
      this.#setClaim(epoch, { phase: receipt.confirmed ? 'confirmed' : 'sent', transactionId: receipt.transactionId });
      void this.refresh();
    } catch (error) {
      this.#setClaim(epoch, null);
      if (!abort.signal.aborted) this.#update({ claimError: claimErrorText(error) });
    } finally {
      this.#claimAborts.delete(epoch);
    }
  }

  /** Stops waiting for `epoch`'s claim (pairing, the dry run, the record). A transaction the wallet still sends counts. */
  cancelClaim(epoch: number): void {
    this.#claimAborts.get(epoch)?.abort();
  }

  #setClaim(epoch: number, progress: EpochClaimProgress | null): void {
    const claims = { ...this.#snapshot.claims };
    if (progress === null) delete claims[epoch];
    else claims[epoch] = progress;
    this.#update({ claims });
  }

  #update(change: Partial<RewardsSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...change };
    for (const listener of [...this.#listeners]) listener(this.#snapshot);
  }
}
