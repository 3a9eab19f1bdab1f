import { createHash } from 'node:crypto';
import { BANNED_AFTER_INVALID_CHECKS, identityProofMessage, leadingZeroBits, wireError } from '@tessera/shared';
import type { WireError, WorkerHello } from '@tessera/shared';
import type { IncomingMessage } from 'node:http';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import { clientAddressOf, proxyTrust, type ClientAddress, type ProxyTrust } from './admission-address.ts';
import { decideAdmission, isWorkingRole, type AdmissionLimits, type IdentityBirths } from './admission-policy.ts';
import { AdmissionStore } from './admission-store.ts';

export interface AdmissionControlOptions {
  db: SqlDatabase;
  limits: AdmissionLimits;
  /** `TESSERA_TRUST_PROXY`: the proxies whose X-Forwarded-For is believed (the same setting as fastify's). */
  trustProxy: string;
  /** Where catches are heard of (the checks reputation counts): caught keys weigh on where they were first seen. */
  events: CoordinatorEventBus;
  now?: () => number;
}

export type AdmissionOutcome = { ok: true; newIdentity: boolean } | { ok: false; error: WireError };

/**
 * Admission at `worker:hello`: reads where the connection comes from, checks the identity proof (one
 * sha256), counts connected tabs per address and prefix (in memory: connections do not outlive the
 * process), and keeps new identities per address and prefix in the database, with how often each was caught
 * since (the same `verify:checked` and `guard:penalized` events reputation counts). The births within the
 * window are also kept in memory per address and prefix (loaded once from the database), so a hello costs the
 * same however many keys a network has. The decision itself is `decideAdmission`; this class gathers its
 * inputs and keeps the counts. Synchronous, so two hellos can never both take the last place.
 */
export class AdmissionControl {
  readonly limits: AdmissionLimits;
  readonly #store: AdmissionStore;
  readonly #trust: ProxyTrust;
  /** Births within the window, oldest first, per `address …` and `prefix …`: loaded on first use, then kept. */
  readonly #recent = new Map<string, number[]>();
  #sinceSweep = 0;
  readonly #now: () => number;
  readonly #admitted = new Map<string, ClientAddress>();
  readonly #perAddress = new Map<string, number>();
  readonly #perPrefix = new Map<string, number>();

  constructor(options: AdmissionControlOptions) {
    this.limits = options.limits;
    this.#store = new AdmissionStore(options.db);
    this.#trust = proxyTrust(options.trustProxy);
    options.events.on('verify:checked', ({ workerKey, verdict }) => {
      if (verdict === 'invalid') this.#store.caught(workerKey);
    });
    options.events.on('guard:penalized', ({ guardKey }) => this.#store.caught(guardKey));
    this.#now = options.now ?? Date.now;
  }

  /** The client a socket.io handshake comes from. */
  clientOf(request: IncomingMessage): ClientAddress {
    return clientAddressOf(request, this.#trust);
  }

  /** Tabs connected now from an address and from a prefix. */
  connected(client: ClientAddress): { address: number; prefix: number } {
    return { address: this.#perAddress.get(client.address) ?? 0, prefix: this.#perPrefix.get(client.prefix) ?? 0 };
  }

  /**
   * Admits connection `connectionId` with this hello, or says why not; a refusal records and counts nothing.
   * An admitted connection holds its place until `release`.
   */
  admit(connectionId: string, hello: WorkerHello, client: ClientAddress): AdmissionOutcome {
    if (this.#admitted.has(connectionId))
      return { ok: false, error: wireError('protocol_violation', 'This connection was already admitted.') };
    const now = this.#now();
    const working = isWorkingRole(hello.role);
    const knownKey = working && this.#store.isKnown(hello.publicKey);
    const decision = decideAdmission(
      {
        role: hello.role,
        proofBits: working && hello.identityProof !== undefined ? proofBits(hello.publicKey, hello.identityProof) : null,
        knownKey,
        client,
        connected: this.connected(client),
        births:
          working && !knownKey
            ? { address: this.#births('address', client.address, now), prefix: this.#births('prefix', client.prefix, now) }
            : null,
        now,
      },
      this.limits,
    );
    if (!decision.admit) return { ok: false, error: wireError(decision.code, decision.message) };
    if (decision.newIdentity) {
      this.#store.record(hello.publicKey, client, now);
      this.#recentBirths('address', client.address, now).push(now);
      this.#recentBirths('prefix', client.prefix, now).push(now);
      if (++this.#sinceSweep >= 1024) this.#sweep(now);
    }
    this.#admitted.set(connectionId, client);
    this.#perAddress.set(client.address, (this.#perAddress.get(client.address) ?? 0) + 1);
    this.#perPrefix.set(client.prefix, (this.#perPrefix.get(client.prefix) ?? 0) + 1);
    return { ok: true, newIdentity: decision.newIdentity };
  }

  /** The connection closed: its place is free. Safe to call for connections never admitted. */
  release(connectionId: string): void {
    const client = this.#admitted.get(connectionId);
    if (client === undefined) return;
    this.#admitted.delete(connectionId);
    decrement(this.#perAddress, client.address);
    decrement(this.#perPrefix, client.prefix);
  }

  #births(by: 'address' | 'prefix', value: string, now: number): IdentityBirths {
    return {
      recent: this.#recentBirths(by, value, now),
      caught: this.#store
        .caughtBirths(by, value, now - this.limits.bannedIdentityMemoryMs)
        // How far toward a ban: a third per catch, all of it once banned.
        .map((birth) => ({ at: birth.at, share: Math.min(1, birth.caught / BANNED_AFTER_INVALID_CHECKS) })),
    };
  }

  /** Forgets the networks whose births all left the window: an attacker's many addresses do not stay in memory. */
  #sweep(now: number): void {
    this.#sinceSweep = 0;
    const since = now - this.limits.newIdentityWindowMs;
    for (const [key, births] of this.#recent) if ((births.at(-1) ?? since) <= since) this.#recent.delete(key);
  }

  #recentBirths(by: 'address' | 'prefix', value: string, now: number): number[] {
    const key = `${by} ${value}`;
    const since = now - this.limits.newIdentityWindowMs;
    let births = this.#recent.get(key);
    if (births === undefined) {
      births = this.#store.births(by, value, since);
      this.#recent.set(key, births);
    }
    let expired = 0;
    while (expired < births.length && (births[expired] ?? now) <= since) expired++;
    births.splice(0, expired);
    return births;
  }
}

/** The leading zero bits of the proof's hash: the same bytes as the tab's WebCrypto search, hashed natively. */
export function proofBits(publicKey: string, nonce: number): number {
  return leadingZeroBits(createHash('sha256').update(identityProofMessage(publicKey, nonce)).digest());
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 0) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
