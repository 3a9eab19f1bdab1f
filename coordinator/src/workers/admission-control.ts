import { createHash } from 'node:crypto';
import { BANNED_AFTER_INVALID_CHECKS, identityProofMessage, leadingZeroBits, wireError } from '@tessera/shared';
import type { WireError, WorkerHello } from '@tessera/shared';
import type { IncomingMessage } from 'node:http';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { CoordinatorEventBus } from '../events/coordinator-events.ts';
import { clientAddressOf, proxyTrust, type ClientAddress, type ProxyTrust } from './admission-address.ts';
import { decideAdmission, isWorkingRole, type AdmissionLimits, type IdentityBirths } from './admission-policy.ts';
import { AdmissionStore } from './admission-store.ts';
import type { ConnectionCounts, HoldDecision } from './connection-counts.ts';
import { LocalConnectionCounts } from './local-connection-counts.ts';
import { AdmissionBusyError, SharedConnectionCounts } from './shared-connection-counts.ts';

export interface AdmissionControlOptions {
  db: SqlDatabase;
  limits: AdmissionLimits;
  /** `TESSERA_TRUST_PROXY`: the proxies whose X-Forwarded-For is believed (the same setting as fastify's). */
  trustProxy: string;
  /** Where catches are heard of (the checks reputation counts): caught keys weigh on where they were first seen. */
  events: CoordinatorEventBus;
  /**
   * Several instances of one network (`sharesNetwork`): tabs are counted in the shared database, network-wide,
   * and new identities are read from it at every hello. `instanceId` is `cluster.instanceId`; an instance
   * silent for `liveWithinMs` is dead (the scale-out leader's dead-after window) and its tabs hold no places.
   */
  shared?: { instanceId: string; liveWithinMs: number; lockTimeoutMs?: number };
  now?: () => number;
}

export type AdmissionOutcome = { ok: true; newIdentity: boolean } | { ok: false; error: WireError };

/**
 * Admission at `worker:hello`: reads where the connection comes from, checks the identity proof (one
 * sha256), counts connected tabs per address and prefix (`ConnectionCounts`: in memory alone, since
 * connections do not outlive the process; in the shared database with several instances), and keeps new
 * identities per address and prefix in the database, with how often each was caught since (the same
 * `verify:checked` and `guard:penalized` events reputation counts). Alone, the births within the window are
 * also kept in memory per address and prefix (loaded once from the database), so a hello costs the same
 * however many keys a network has; shared, other instances record births too, so they are read (indexed, at
 * most a budget's worth) under the same prefix lock as the tab counts. The decision itself is
 * `decideAdmission`; this class gathers its inputs. Synchronous, so two hellos can never both take the last place.
 */
export class AdmissionControl {
  readonly limits: AdmissionLimits;
  readonly #store: AdmissionStore;
  readonly #trust: ProxyTrust;
  /** Births within the window, oldest first, per `address …` and `prefix …`: loaded on first use, then kept. */
  readonly #recent = new Map<string, number[]>();
  #sinceSweep = 0;
  readonly #now: () => number;
  readonly #counts: ConnectionCounts;
  readonly #shared: boolean;

  constructor(options: AdmissionControlOptions) {
    this.limits = options.limits;
    this.#store = new AdmissionStore(options.db);
    this.#trust = proxyTrust(options.trustProxy);
    options.events.on('verify:checked', ({ workerKey, verdict }) => {
      if (verdict === 'invalid') this.#store.caught(workerKey);
    });
    options.events.on('guard:penalized', ({ guardKey }) => this.#store.caught(guardKey));
    options.events.on('guard:tested', ({ guardKey, passed }) => {
      if (!passed) this.#store.caught(guardKey);
    });
    this.#now = options.now ?? Date.now;
    this.#shared = options.shared !== undefined;
    this.#counts =
      options.shared === undefined
        ? new LocalConnectionCounts()
        : new SharedConnectionCounts({ db: options.db, ...options.shared, now: this.#now });
  }

  /** The client a socket.io handshake comes from. */
  clientOf(request: IncomingMessage): ClientAddress {
    return clientAddressOf(request, this.#trust);
  }

  /** Tabs connected now from an address and from a prefix. */
  connected(client: ClientAddress): { address: number; prefix: number } {
    return this.#counts.connected(client);
  }

  /**
   * Admits connection `connectionId` with this hello, or says why not; a refusal records and counts nothing.
   * An admitted connection holds its place until `release`.
   */
  admit(connectionId: string, hello: WorkerHello, client: ClientAddress): AdmissionOutcome {
    if (this.#counts.holds(connectionId))
      return { ok: false, error: wireError('protocol_violation', 'This connection was already admitted.') };
    const proof = isWorkingRole(hello.role) && hello.identityProof !== undefined ? proofBits(hello.publicKey, hello.identityProof) : null;
    try {
      return this.#counts.admit(connectionId, client, (connected) => this.#decide(hello, client, proof, connected));
    } catch (error) {
      if (!(error instanceof AdmissionBusyError)) throw error;
      return { ok: false, error: wireError('admission_refused', 'Admission is busy for your network right now; retry in a few seconds.') };
    }
  }

  /** The connection closed: its place is free. Safe to call for connections never admitted. */
  release(connectionId: string): void {
    this.#counts.release(connectionId);
  }

  /** Decides with the tabs connected now and records a new identity; shared, inside the prefix's lock. */
  #decide(
    hello: WorkerHello,
    client: ClientAddress,
    proof: number | null,
    connected: { address: number; prefix: number },
  ): HoldDecision<AdmissionOutcome> {
    const now = this.#now();
    const working = isWorkingRole(hello.role);
    const knownKey = working && this.#store.isKnown(hello.publicKey);
    const decision = decideAdmission(
      {
        role: hello.role,
        proofBits: proof,
        knownKey,
        client,
        connected,
        births:
          working && !knownKey
            ? { address: this.#births('address', client.address, now), prefix: this.#births('prefix', client.prefix, now) }
            : null,
        now,
      },
      this.limits,
    );
    if (!decision.admit) return { hold: false, outcome: { ok: false, error: wireError(decision.code, decision.message) } };
    if (decision.newIdentity) {
      this.#store.record(hello.publicKey, client, now);
      if (!this.#shared) {
        this.#recentBirths('address', client.address, now).push(now);
        this.#recentBirths('prefix', client.prefix, now).push(now);
        if (++this.#sinceSweep >= 1024) this.#sweep(now);
      }
    }
    return { hold: true, outcome: { ok: true, newIdentity: decision.newIdentity } };
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
    const since = now - this.limits.newIdentityWindowMs;
    // Other instances record births too: a cache here would miss theirs.
    if (this.#shared) return this.#store.births(by, value, since);
    const key = `${by} ${value}`;
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
