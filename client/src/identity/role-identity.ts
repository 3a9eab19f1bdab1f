import { proveIdentity, storedIdentityProofSchema } from './identity-proof.ts';
import { generateTabKeyPair, isTabKeyPair, tabIdentityFromKeyPair, withIdentityProof } from './tab-identity.ts';
import type { TabIdentity } from './tab-identity.ts';

/** The roles a tab can join in, each with a key of its own. */
export type KeyRole = 'worker' | 'guard';

/** Where one role's key pair and its proof of work are kept in the identity store. */
export interface RoleKeyRecords {
  key: string;
  proof: string;
}

/**
 * A worker keeps the record names keys had before roles had keys of their own, so a profile's existing
 * key (and the reputation and rewards tied to it) stays the worker's. A guard gets its own: the
 * coordinator never asks a key to check its own results, so a guard sharing the worker's key would wait
 * for work forever while that worker is the only one around.
 */
export function roleKeyRecords(role: KeyRole): RoleKeyRecords {
  return role === 'worker' ? { key: 'tab-key', proof: 'identity-proof' } : { key: `tab-key:${role}`, proof: `identity-proof:${role}` };
}

/** The records of a persistent identity (IndexedDB in pages, a map in tests). */
export interface KeyRecordStore {
  read(record: string): Promise<unknown>;
  /** Stores `candidate` unless the record holds a value already; returns the value kept. Atomic. */
  keepFirst(record: string, candidate: CryptoKeyPair): Promise<unknown>;
  write(record: string, value: unknown): Promise<void>;
}

/**
 * The persistent identity of `role`: its stored key pair, or one made now (kept unless another tab of
 * the profile stored one first). With `proofBits` it carries a proof of work, found once and kept beside
 * the key.
 */
export async function persistentRoleIdentity(
  store: KeyRecordStore,
  role: KeyRole,
  proofBits: (() => Promise<number>) | undefined,
  makeKeyPair: () => Promise<CryptoKeyPair> = generateTabKeyPair,
): Promise<TabIdentity> {
  const records = roleKeyRecords(role);
  const existing = await store.read(records.key);
  const keyPair = isTabKeyPair(existing) ? existing : await store.keepFirst(records.key, await makeKeyPair());
  if (!isTabKeyPair(keyPair)) throw new Error(`The stored ${role} key is not an Ed25519 key pair.`);
  const identity = await tabIdentityFromKeyPair(keyPair, 'persistent');
  if (proofBits === undefined) return identity;
  const parsed = storedIdentityProofSchema.safeParse(await store.read(records.proof));
  const stored = parsed.success ? parsed.data : null;
  const proof = await proveIdentity(identity.publicKey, await proofBits(), stored);
  // Keeping it is worth a second of CPU on the next visit, but a tab that cannot store it still has it now.
  if (proof !== stored) await store.write(records.proof, proof).catch(() => undefined);
  return withIdentityProof(identity, proof.nonce);
}
