import type { WorkerRole } from '@tessera/shared';
import type { ClientAddress } from './admission-address.ts';

/** The limits admission applies (`coordinator/src/config.ts`; README "Sybil model" for the defaults). */
export interface AdmissionLimits {
  /** Leading zero bits a worker's or guard's identity proof must have; 0: none needed. */
  identityProofBits: number;
  /** Connected tabs of any role per address, and per /24 or /64. */
  tabsPerAddress: number;
  tabsPerPrefix: number;
  /** Keys never seen before admitted per address, and per prefix, within `newIdentityWindowMs`. */
  newIdentitiesPerAddress: number;
  newIdentitiesPerPrefix: number;
  newIdentityWindowMs: number;
  /**
   * A banned key counts this many new identities against the budgets of where it was first seen, and a key
   * caught but not yet banned its share (caught once of the three a ban takes: a third)…
   */
  bannedIdentityWeight: number;
  /** …for this long after it was first seen. */
  bannedIdentityMemoryMs: number;
}

/**
 * When the keys first admitted from one address or prefix were first seen: `recent` every one within the
 * window, oldest first; `caught` those of them since caught cheating, within the ban memory, with how far
 * each is toward a ban (0–1).
 */
export interface IdentityBirths {
  recent: readonly number[];
  caught: ReadonlyArray<{ at: number; share: number }>;
}

export interface AdmissionRequest {
  role: WorkerRole;
  /** Leading zero bits of the hello's proof for its key; null when the hello carries none. */
  proofBits: number | null;
  /** The key was admitted before or has a record: it is not a new identity. */
  knownKey: boolean;
  client: ClientAddress;
  /** Tabs connected now from the client's address and prefix, this one not counted. */
  connected: { address: number; prefix: number };
  /** Needed only for a new key of a worker or guard; null otherwise. */
  births: { address: IdentityBirths; prefix: IdentityBirths } | null;
  now: number;
}

export type AdmissionRefusalReason =
  | 'identity_proof_missing'
  | 'identity_proof_insufficient'
  | 'tabs_per_address'
  | 'tabs_per_prefix'
  | 'new_identities_per_address'
  | 'new_identities_per_prefix';

export type AdmissionDecision =
  | { admit: true; newIdentity: boolean }
  | {
      admit: false;
      code: 'identity_proof_invalid' | 'admission_refused';
      reason: AdmissionRefusalReason;
      /** When the same hello would be admitted; null: when a tab from there leaves, or never. */
      retryAt: number | null;
      message: string;
    };

/** Whether a role is an identity that earns or judges: requesters run nothing and need no proof. */
export function isWorkingRole(role: WorkerRole): boolean {
  return role !== 'requester';
}

/**
 * Who may join, the one place that decides it. In order: a worker or guard must prove work for its key;
 * the address and its prefix must have room for one more tab; and a key never seen before must fit the
 * new-identity budget of both, where each key first seen there and since banned weighs `bannedIdentityWeight`
 * (a key caught, not yet banned, its share: retiring a key before its third catch does not escape the cost).
 * Known keys pass the budget (a returning volunteer is never held back by newcomers), not the tab limits.
 */
export function decideAdmission(request: AdmissionRequest, limits: AdmissionLimits): AdmissionDecision {
  const working = isWorkingRole(request.role);
  if (working && limits.identityProofBits > 0) {
    const asked = `the coordinator asks for ${limits.identityProofBits} leading zero bits (GET /api/v1/admission)`;
    if (request.proofBits === null)
      return refusal(
        'identity_proof_invalid',
        'identity_proof_missing',
        null,
        `This tab sent no identity proof; ${asked}. Reload the page.`,
      );
    if (request.proofBits < limits.identityProofBits)
      return refusal(
        'identity_proof_invalid',
        'identity_proof_insufficient',
        null,
        `The identity proof has ${request.proofBits} leading zero bits for this key; ${asked}. Reload the page to make a new one.`,
      );
  }
  const { client, connected } = request;
  if (connected.address >= limits.tabsPerAddress)
    return refusal(
      'admission_refused',
      'tabs_per_address',
      null,
      tabsMessage(connected.address, `address ${client.address}`, limits.tabsPerAddress),
    );
  if (connected.prefix >= limits.tabsPerPrefix)
    return refusal(
      'admission_refused',
      'tabs_per_prefix',
      null,
      tabsMessage(connected.prefix, `network ${client.prefix}`, limits.tabsPerPrefix),
    );
  if (!working || request.knownKey) return { admit: true, newIdentity: false };
  if (request.births === null) throw new Error('a new identity needs the births of its address and prefix');
  const budgets = [
    {
      reason: 'new_identities_per_address',
      where: `address ${client.address}`,
      births: request.births.address,
      limit: limits.newIdentitiesPerAddress,
    },
    {
      reason: 'new_identities_per_prefix',
      where: `network ${client.prefix}`,
      births: request.births.prefix,
      limit: limits.newIdentitiesPerPrefix,
    },
  ] as const;
  for (const budget of budgets) {
    const used = budgetUsed(budget.births, limits, request.now);
    if (used + 1 <= budget.limit) continue;
    const retryAt = budgetFreesAt(budget.births, budget.limit, limits, request.now);
    return refusal('admission_refused', budget.reason, retryAt, newIdentityMessage(budget, used, retryAt, limits, request.now));
  }
  return { admit: true, newIdentity: true };
}

function refusal(
  code: 'identity_proof_invalid' | 'admission_refused',
  reason: AdmissionRefusalReason,
  retryAt: number | null,
  message: string,
): AdmissionDecision {
  return { admit: false, code, reason, retryAt, message };
}

/** New identities counted against a budget at `now`: each recent one once, each caught one its share of `bannedIdentityWeight` more. */
export function budgetUsed(births: IdentityBirths, limits: AdmissionLimits, now: number): number {
  // Oldest first: the count stops at the first birth inside the window, so a busy network costs no more.
  let expired = 0;
  while (expired < births.recent.length && (births.recent[expired] ?? now) <= now - limits.newIdentityWindowMs) expired++;
  const recent = births.recent.length - expired;
  const caught = births.caught.filter((birth) => birth.at > now - limits.bannedIdentityMemoryMs);
  return recent + caught.reduce((sum, birth) => sum + birth.share * limits.bannedIdentityWeight, 0);
}

/**
 * The first moment one more new identity fits under `limit`, as the counted ones age out (each recent one
 * after the window, each caught one after the ban memory); null when nothing ever fits (a limit of 0).
 */
export function budgetFreesAt(births: IdentityBirths, limit: number, limits: AdmissionLimits, now: number): number | null {
  if (limit <= 0) return null;
  const expiries = [
    ...births.recent.map((at) => ({ at: at + limits.newIdentityWindowMs, weight: 1 })),
    ...births.caught.map((birth) => ({ at: birth.at + limits.bannedIdentityMemoryMs, weight: birth.share * limits.bannedIdentityWeight })),
  ]
    .filter((expiry) => expiry.at > now)
    .sort((a, b) => a.at - b.at);
  let used = budgetUsed(births, limits, now);
  if (used + 1 <= limit) return now;
  for (const expiry of expiries) {
    used -= expiry.weight;
    if (used + 1 <= limit) return expiry.at;
  }
  return null;
}

function tabsMessage(connected: number, where: string, limit: number): string {
  return `${connected} tabs are already connected from ${where} (limit ${limit}); retry when one of them leaves.`;
}

function newIdentityMessage(
  budget: { where: string; births: IdentityBirths; limit: number },
  used: number,
  retryAt: number | null,
  limits: AdmissionLimits,
  now: number,
): string {
  const caught = budget.births.caught.filter((birth) => birth.at > now - limits.bannedIdentityMemoryMs).length;
  const caughtNote =
    caught === 0
      ? ''
      : ` (${caught} key(s) first seen there were caught cheating: each counts up to ${limits.bannedIdentityWeight} for ${duration(limits.bannedIdentityMemoryMs)})`;
  const when =
    retryAt === null
      ? 'this coordinator admits no new identities from there'
      : `a new key from there is admitted again in ${duration(retryAt - now)} (at ${new Date(retryAt).toISOString()})`;
  return (
    `The ${budget.where} has used its new identities: ${Number.isInteger(used) ? used : used.toFixed(1)} of ${budget.limit} per ${duration(limits.newIdentityWindowMs)}${caughtNote}; ` +
    `${when}. A tab whose key this coordinator already knows is not held back by this limit.`
  );
}

function duration(ms: number): string {
  if (ms < 60_000) return `${Math.max(1, Math.ceil(ms / 1000))} s`;
  if (ms < 2 * 3_600_000) return `${Math.ceil(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** The admission limits out of anything that has them (the coordinator's config names its fields alike). */
export function admissionLimitsOf(source: AdmissionLimits): AdmissionLimits {
  return {
    identityProofBits: source.identityProofBits,
    tabsPerAddress: source.tabsPerAddress,
    tabsPerPrefix: source.tabsPerPrefix,
    newIdentitiesPerAddress: source.newIdentitiesPerAddress,
    newIdentitiesPerPrefix: source.newIdentitiesPerPrefix,
    newIdentityWindowMs: source.newIdentityWindowMs,
    bannedIdentityWeight: source.bannedIdentityWeight,
    bannedIdentityMemoryMs: source.bannedIdentityMemoryMs,
  };
}
