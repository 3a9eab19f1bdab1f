import { proveIdentity } from './identity-proof.ts';
import { persistentRoleIdentity } from './role-identity.ts';
import type { KeyRecordStore, KeyRole } from './role-identity.ts';
import { Ed25519UnsupportedError, ephemeralTabIdentity, isTabKeyPair, withIdentityProof } from './tab-identity.ts';
import type { IdentityMode, LoadedIdentity, TabIdentity } from './tab-identity.ts';

const DATABASE = 'tessera-identity';
const STORE = 'keys';

function request<Value>(req: IDBRequest<Value>): Promise<Value> {
  return new Promise((resolve, reject) => {
    req.addEventListener('success', () => resolve(req.result));
    req.addEventListener('error', () => reject(req.error ?? new Error('IndexedDB request failed')));
  });
}

function openDatabase(name: string): Promise<IDBDatabase> {
  const open = indexedDB.open(name, 1);
  open.addEventListener('upgradeneeded', () => open.result.createObjectStore(STORE));
  return request(open);
}

/**
 * Keeps `candidate` unless another tab stored a key first: the check and the write happen in one
 * transaction, so tabs opened together still end up with one key.
 */
function keepFirstKeyPair(db: IDBDatabase, record: string, candidate: CryptoKeyPair): Promise<CryptoKeyPair> {
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, 'readwrite');
    const store = transaction.objectStore(STORE);
    let kept = candidate;
    const existing = store.get(record);
    existing.addEventListener('success', () => {
      const value: unknown = existing.result;
      if (isTabKeyPair(value)) kept = value;
      else store.put(candidate, record);
    });
    transaction.addEventListener('complete', () => resolve(kept));
    transaction.addEventListener('error', () => reject(transaction.error ?? new Error('IndexedDB transaction failed')));
    transaction.addEventListener('abort', () => reject(transaction.error ?? new Error('IndexedDB transaction aborted')));
  });
}

/** One role's records in this origin's IndexedDB: one key per role, origin and browser profile. */
function indexedDbRecords(db: IDBDatabase): KeyRecordStore {
  return {
    read: (record) => request<unknown>(db.transaction(STORE, 'readonly').objectStore(STORE).get(record)),
    keepFirst: (record, candidate) => keepFirstKeyPair(db, record, candidate),
    write: async (record, value) => {
      await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put(value, record));
    },
  };
}

async function persistentIdentity(proofBits: (() => Promise<number>) | undefined, database: string, role: KeyRole): Promise<TabIdentity> {
  const db = await openDatabase(database);
  try {
    return await persistentRoleIdentity(indexedDbRecords(db), role, proofBits);
  } finally {
    db.close();
  }
}

async function ephemeralIdentity(proofBits: (() => Promise<number>) | undefined): Promise<TabIdentity> {
  const identity = await ephemeralTabIdentity();
  if (proofBits === undefined) return identity;
  return withIdentityProof(identity, (await proveIdentity(identity.publicKey, await proofBits(), null)).nonce);
}

/**
 * The tab's identity: `persistent` reads (or makes once) the key pair kept in this origin's IndexedDB,
 * so the browser keeps its reputation across visits; `ephemeral` makes a key that dies with the page
 * (`?identity=ephemeral`, for automation that needs several identities in one browser context).
 *
 * With `proofBits` (the coordinator's difficulty, `GET /api/v1/admission`) the identity carries a proof of
 * work for its key: found once and kept beside a persistent key, found anew for an ephemeral one. Pages that
 * only submit tasks (requesters) pass none.
 *
 * Rejects with `Ed25519UnsupportedError` when WebCrypto has no Ed25519. When IndexedDB is unusable
 * (some private modes), falls back to an ephemeral key and says so in `warning`. `database` names the
 * IndexedDB database (the widget keeps one key per site it is embedded in, apart from the volunteer page's).
 * `role` picks the key within it: a worker and a guard of one profile are two identities, so the guard can
 * check the worker's results (a key never checks its own); a profile's key from before keeps being the worker's.
 */
export async function loadTabIdentity(
  mode: IdentityMode,
  proofBits?: () => Promise<number>,
  database = DATABASE,
  role: KeyRole = 'worker',
): Promise<LoadedIdentity> {
  if (mode === 'ephemeral') return { identity: await ephemeralIdentity(proofBits), warning: null };
  try {
    return { identity: await persistentIdentity(proofBits, database, role), warning: null };
  } catch (error) {
    if (error instanceof Ed25519UnsupportedError) throw error;
    const reason = error instanceof Error ? error.message : 'unknown failure';
    return {
      identity: await ephemeralIdentity(proofBits),
      warning: `This browser could not keep a key in IndexedDB (${reason}); this tab uses a key that is forgotten when it closes, so its reputation starts over on every visit.`,
    };
  }
}

/** Forgets a persistent key for good (the widget's revoke): its database is deleted. */
export function forgetTabIdentity(database: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(database);
    request.addEventListener('success', () => resolve());
    request.addEventListener('error', () => reject(request.error ?? new Error('IndexedDB delete failed')));
    // Another tab of the site still holds it open: it goes once that tab closes.
    request.addEventListener('blocked', () => resolve());
  });
}
