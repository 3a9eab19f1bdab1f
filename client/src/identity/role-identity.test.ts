import { describe, expect, it } from 'vitest';
import { persistentRoleIdentity, roleKeyRecords } from './role-identity.ts';
import type { KeyRecordStore } from './role-identity.ts';
import { generateTabKeyPair, tabIdentityFromKeyPair } from './tab-identity.ts';

/** The identity store's contract over a Map, as IndexedDB keeps it in a page. */
function memoryStore(records = new Map<string, unknown>()): KeyRecordStore & { records: Map<string, unknown> } {
  return {
    records,
    read: async (record) => records.get(record),
    keepFirst: async (record, candidate) => {
      const existing = records.get(record);
      if (existing !== undefined) return existing;
      records.set(record, candidate);
      return candidate;
    },
    write: async (record, value) => {
      records.set(record, value);
    },
  };
}

describe('role keys', () => {
  it('keeps the worker on the record names of the single key a profile had before', () => {
    expect(roleKeyRecords('worker')).toEqual({ key: 'tab-key', proof: 'identity-proof' });
  });

  it('gives the guard records of its own', () => {
    const worker = roleKeyRecords('worker');
    const guard = roleKeyRecords('guard');
    expect(guard.key).not.toBe(worker.key);
    expect(guard.proof).not.toBe(worker.proof);
    expect(new Set([worker.key, worker.proof, guard.key, guard.proof]).size).toBe(4);
  });

  it('makes a worker and a guard of one profile two identities, each the same on every load', async () => {
    const store = memoryStore();
    const worker = await persistentRoleIdentity(store, 'worker', undefined);
    const guard = await persistentRoleIdentity(store, 'guard', undefined);
    expect(guard.publicKey).not.toBe(worker.publicKey);
    expect((await persistentRoleIdentity(store, 'worker', undefined)).publicKey).toBe(worker.publicKey);
    expect((await persistentRoleIdentity(store, 'guard', undefined)).publicKey).toBe(guard.publicKey);
    expect(worker.mode).toBe('persistent');
    expect(guard.mode).toBe('persistent');
  });

  it('keeps an existing single key as the worker key and leaves it out of the guard', async () => {
    const legacy = await generateTabKeyPair();
    const legacyKey = (await tabIdentityFromKeyPair(legacy, 'persistent')).publicKey;
    const store = memoryStore(new Map([['tab-key', legacy]]));
    expect((await persistentRoleIdentity(store, 'worker', undefined)).publicKey).toBe(legacyKey);
    expect((await persistentRoleIdentity(store, 'guard', undefined)).publicKey).not.toBe(legacyKey);
  });

  it('keeps the key another tab of the same role stored first', async () => {
    const store = memoryStore();
    const first = await generateTabKeyPair();
    const firstKey = (await tabIdentityFromKeyPair(first, 'persistent')).publicKey;
    // A second guard tab read no key, made its own, and lost the race to the first.
    const racing: KeyRecordStore = { ...store, read: async () => undefined, keepFirst: store.keepFirst };
    await store.keepFirst(roleKeyRecords('guard').key, first);
    expect((await persistentRoleIdentity(racing, 'guard', undefined)).publicKey).toBe(firstKey);
  });

  it("keeps each role's proof of work beside its own key", async () => {
    const store = memoryStore();
    const worker = await persistentRoleIdentity(store, 'worker', async () => 4);
    const guard = await persistentRoleIdentity(store, 'guard', async () => 4);
    expect(worker.identityProof).toBeTypeOf('number');
    expect(guard.identityProof).toBeTypeOf('number');
    expect(store.records.get('identity-proof')).toMatchObject({ publicKey: worker.publicKey, nonce: worker.identityProof });
    expect(store.records.get(roleKeyRecords('guard').proof)).toMatchObject({ publicKey: guard.publicKey, nonce: guard.identityProof });
    // A later visit finds the stored proofs and searches nothing.
    expect((await persistentRoleIdentity(store, 'guard', async () => 4)).identityProof).toBe(guard.identityProof);
  });
});
