import { Ed25519UnsupportedError, ephemeralTabIdentity, generateTabKeyPair, isTabKeyPair, tabIdentityFromKeyPair } from './tab-identity.ts';
import type { IdentityMode, LoadedIdentity } from './tab-identity.ts';

const DATABASE = 'tessera-identity';
const STORE = 'keys';
/** One key per origin and browser profile: every tab of this profile is the same identity. */
const RECORD = 'tab-key';

function request<Value>(req: IDBRequest<Value>): Promise<Value> {
  return new Promise((resolve, reject) => {
    req.addEventListener('success', () => resolve(req.result));
    req.addEventListener('error', () => reject(req.error ?? new Error('IndexedDB request failed')));
  });
}

function openDatabase(): Promise<IDBDatabase> {
  const open = indexedDB.open(DATABASE, 1);
  open.addEventListener('upgradeneeded', () => open.result.createObjectStore(STORE));
  return request(open);
}

async function readKeyPair(db: IDBDatabase): Promise<CryptoKeyPair | null> {
  const value: unknown = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(RECORD));
  return isTabKeyPair(value) ? value : null;
}

/**
 * Keeps `candidate` unless another tab stored a key first: the check and the write happen in one
 * transaction, so tabs opened together still end up with one key.
 */
function keepFirstKeyPair(db: IDBDatabase, candidate: CryptoKeyPair): Promise<CryptoKeyPair> {
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, 'readwrite');
    const store = transaction.objectStore(STORE);
    let kept = candidate;
    const existing = store.get(RECORD);
    existing.addEventListener('success', () => {
      const value: unknown = existing.result;
      if (isTabKeyPair(value)) kept = value;
      else store.put(candidate, RECORD);
    });
    transaction.addEventListener('complete', () => resolve(kept));
    transaction.addEventListener('error', () => reject(transaction.error ?? new Error('IndexedDB transaction failed')));
    transaction.addEventListener('abort', () => reject(transaction.error ?? new Error('IndexedDB transaction aborted')));
  });
}

async function persistentKeyPair(): Promise<CryptoKeyPair> {
  const db = await openDatabase();
  try {
    return (await readKeyPair(db)) ?? (await keepFirstKeyPair(db, await generateTabKeyPair()));
  } finally {
    db.close();
  }
}

/**
 * The tab's identity: `persistent` reads (or makes once) the key pair kept in this origin's IndexedDB,
 * so the browser keeps its reputation across visits; `ephemeral` makes a key that dies with the page
 * (`?identity=ephemeral`, for automation that needs several identities in one browser context).
 *
 * Rejects with `Ed25519UnsupportedError` when WebCrypto has no Ed25519. When IndexedDB is unusable
 * (some private modes), falls back to an ephemeral key and says so in `warning`.
 */
export async function loadTabIdentity(mode: IdentityMode): Promise<LoadedIdentity> {
  if (mode === 'ephemeral') return { identity: await ephemeralTabIdentity(), warning: null };
  try {
    return { identity: await tabIdentityFromKeyPair(await persistentKeyPair(), 'persistent'), warning: null };
  } catch (error) {
    if (error instanceof Ed25519UnsupportedError) throw error;
    const reason = error instanceof Error ? error.message : 'unknown failure';
    return {
      identity: await ephemeralTabIdentity(),
      warning: `This browser could not keep a key in IndexedDB (${reason}); this tab uses a key that is forgotten when it closes, so its reputation starts over on every visit.`,
    };
  }
}
