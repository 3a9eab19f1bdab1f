import type { ClaimableEpoch } from '@tessera/shared';
import { claimBlockReason, inLocalKeyMode } from './claim-availability.ts';
import { EMPTY_REWARDS_SNAPSHOT } from './rewards-tracker.ts';
import type { ClaimWallet, RewardsSnapshot, RewardsTracker } from './rewards-tracker.ts';

/**
 * The rewards panel's state: the `RewardsTracker` snapshot as a rune, with what the panel derives from
 * it and from the wallet link (which epochs can be claimed, and why not). Components read its fields
 * and call its methods; the tracker does the reading and the claiming.
 */
export class RewardsState {
  snapshot = $state.raw<RewardsSnapshot>(EMPTY_REWARDS_SNAPSHOT);

  readonly view = $derived(this.snapshot.view);
  /** Epochs with something to claim or claimed, newest first. */
  readonly epochs: ClaimableEpoch[] = $derived([...(this.snapshot.view?.epochs ?? [])].sort((a, b) => b.epoch - a.epoch));
  /** What `data-testid="rewards-error"` shows: the last claim failure, else the last read failure. */
  readonly error: string | null = $derived(this.snapshot.claimError ?? this.snapshot.error);

  readonly #tracker: RewardsTracker;
  readonly wallet: ClaimWallet;

  constructor(tracker: RewardsTracker, wallet: ClaimWallet) {
    this.#tracker = tracker;
    this.wallet = wallet;
    this.snapshot = tracker.snapshot;
    tracker.subscribe((snapshot) => {
      this.snapshot = snapshot;
    });
  }

  /** Whether the page's wallet side is the URL's local test key, which cannot send claims. */
  get localKeyMode(): boolean {
    return inLocalKeyMode(this.wallet);
  }

  /** Why `claim`'s button is disabled; null when it can be pressed. */
  blockReason(claim: ClaimableEpoch): string | null {
    return claimBlockReason(claim, this.snapshot.settings, this.wallet);
  }

  follow(publicKey: string | null): void {
    this.#tracker.follow(publicKey);
  }

  start(): void {
    this.#tracker.start();
  }

  stop(): void {
    this.#tracker.stop();
  }

  refresh(): Promise<void> {
    return this.#tracker.refresh();
  }

  claim(epoch: number): Promise<void> {
    return this.#tracker.claim(epoch, this.wallet);
  }

  cancelClaim(epoch: number): void {
    this.#tracker.cancelClaim(epoch);
  }
}
