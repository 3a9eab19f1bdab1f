import { TesseraError, toBase64Url, walletChallengeIdSchema, walletLinkMessage } from '@tessera/shared';
import type { HederaNetwork, WalletChallenge, WalletChallengeId } from '@tessera/shared';

export interface IssuedChallenge extends WalletChallenge {
  /** The tab key the challenge links (its message names it). */
  publicKey: string;
}

interface Entry {
  challenge: IssuedChallenge;
  used: boolean;
}

export interface ChallengeBookOptions {
  network: HederaNetwork;
  ttlMs: number;
  now: () => number;
  /** Outstanding challenges in all; beyond it the oldest is dropped. */
  maxOutstanding?: number;
  /** Outstanding challenges per tab key; beyond it that key's oldest is dropped. */
  maxPerKey?: number;
}

/**
 * One-time wallet challenges, in memory. A restart forgets them, which only means a tab that was
 * between "challenge" and "link" asks again: each lives minutes and carries nothing worth keeping.
 * Used and expired ones are kept until a while after expiry so a replay gets a precise error, then
 * dropped lazily on the next issue; no timer runs.
 */
export class ChallengeBook {
  readonly #options: Required<ChallengeBookOptions>;
  /** In issue order (Map keeps insertion order), so the oldest come first. */
  readonly #entries = new Map<WalletChallengeId, Entry>();

  constructor(options: ChallengeBookOptions) {
    this.#options = { maxOutstanding: 10_000, maxPerKey: 5, ...options };
  }

  issue(publicKey: string): IssuedChallenge {
    const now = this.#options.now();
    this.#sweep(now);
    const ofKey = [...this.#entries.values()].filter((entry) => !entry.used && entry.challenge.publicKey === publicKey);
    for (const entry of ofKey.slice(0, Math.max(0, ofKey.length - this.#options.maxPerKey + 1)))
      this.#entries.delete(entry.challenge.challengeId);
    while (this.#entries.size >= this.#options.maxOutstanding) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    const challengeId = walletChallengeIdSchema.parse(crypto.randomUUID());
    const nonce = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    const expiresAt = now + this.#options.ttlMs;
    const message = walletLinkMessage({ publicKey, network: this.#options.network, challengeId, nonce, expiresAt });
    const challenge: IssuedChallenge = { challengeId, message, expiresAt, publicKey };
    this.#entries.set(challengeId, { challenge, used: false });
    return challenge;
  }

  /**
   * Marks the challenge used and returns it, synchronously: of two requests racing with one challenge,
   * exactly one gets it, before either has verified anything. A challenge whose link then fails is
   * spent all the same; the tab asks for a new one.
   */
  take(challengeId: WalletChallengeId): IssuedChallenge {
    const entry = this.#entries.get(challengeId);
    if (entry === undefined)
      throw new TesseraError(
        'challenge_not_found',
        `No wallet challenge '${challengeId}' is open (a coordinator restart forgets them); ask for a new one.`,
        'challengeId',
      );
    if (entry.used) throw new TesseraError('challenge_used', 'This wallet challenge was already used; ask for a new one.', 'challengeId');
    entry.used = true;
    if (this.#options.now() > entry.challenge.expiresAt) {
      throw new TesseraError(
        'challenge_expired',
        `This wallet challenge expired at ${new Date(entry.challenge.expiresAt).toISOString()}; ask for a new one.`,
        'challengeId',
      );
    }
    return entry.challenge;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Forgets challenges a TTL past their expiry: long enough for a late replay to be told what happened. */
  #sweep(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (now > entry.challenge.expiresAt + this.#options.ttlMs) this.#entries.delete(id);
    }
  }
}
