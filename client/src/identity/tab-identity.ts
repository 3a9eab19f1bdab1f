import { TesseraError, publicKeySchema, signatureSchema, toBase64Url } from '@tessera/shared';

/**
 * Who this tab is to the coordinator across visits: an Ed25519 key pair made with WebCrypto. The
 * private key is not extractable: page scripts can sign with it but never read it. The coordinator keys
 * reputation by the public key, so every tab sharing a key (tabs of one browser profile, by design)
 * shares one reputation.
 */
export interface TabIdentity {
  /** The raw 32-byte public key in base64url (43 characters): `worker:hello.publicKey`. */
  readonly publicKey: string;
  /** `persistent`: kept in IndexedDB for this origin and profile; `ephemeral`: lives as long as the page. */
  readonly mode: IdentityMode;
  /** The nonce of this key's proof of work (`worker:hello.identityProof`); absent where none was made. */
  readonly identityProof?: number;
  /** An Ed25519 signature over `bytes`, base64url (86 characters). */
  sign(bytes: Uint8Array): Promise<string>;
}

export type IdentityMode = 'persistent' | 'ephemeral';

/** What loading the identity gave: the identity, and a warning when it is not what was asked for. */
export interface LoadedIdentity {
  identity: TabIdentity;
  /** Set when a persistent identity was asked for but IndexedDB failed, so the page can say so. */
  warning: string | null;
}

export const ED25519 = { name: 'Ed25519' } as const;

/** This browser's WebCrypto has no Ed25519 (Chrome < 137, Firefox < 129, Safari < 17). */
export class Ed25519UnsupportedError extends Error {
  constructor(cause: unknown) {
    super(
      `This browser cannot make Ed25519 keys with WebCrypto (${cause instanceof Error ? cause.message || cause.name : 'unknown reason'}). ` +
        'Tessera tabs sign their results with one; please use a current Chrome, Edge, Firefox or Safari.',
    );
    this.name = 'Ed25519UnsupportedError';
  }
}

/** The part of `SubtleCrypto` that makes key pairs: a seam for tests of browsers without Ed25519. */
export interface KeyPairMaker {
  generateKey(algorithm: typeof ED25519, extractable: boolean, keyUsages: ReadonlyArray<'sign' | 'verify'>): Promise<CryptoKeyPair>;
}

/** A fresh key pair: the private key never leaves WebCrypto. */
export async function generateTabKeyPair(subtle: KeyPairMaker = crypto.subtle): Promise<CryptoKeyPair> {
  try {
    return await subtle.generateKey(ED25519, false, ['sign', 'verify']);
  } catch (error) {
    throw new Ed25519UnsupportedError(error);
  }
}

/** Whether a value (read back from IndexedDB, say) is an Ed25519 key pair this tab can sign with. */
export function isTabKeyPair(value: unknown): value is CryptoKeyPair {
  if (typeof value !== 'object' || value === null || !('privateKey' in value) || !('publicKey' in value)) return false;
  const { privateKey, publicKey } = value;
  return (
    privateKey instanceof CryptoKey &&
    publicKey instanceof CryptoKey &&
    privateKey.type === 'private' &&
    publicKey.type === 'public' &&
    privateKey.algorithm.name === ED25519.name &&
    publicKey.algorithm.name === ED25519.name &&
    privateKey.usages.includes('sign')
  );
}

/** The identity a key pair gives: its exported public key and a signer. */
export async function tabIdentityFromKeyPair(
  keyPair: CryptoKeyPair,
  mode: IdentityMode,
  subtle: SubtleCrypto = crypto.subtle,
): Promise<TabIdentity> {
  const publicKey = publicKeySchema.parse(toBase64Url(new Uint8Array(await subtle.exportKey('raw', keyPair.publicKey))));
  return {
    publicKey,
    mode,
    async sign(bytes: Uint8Array): Promise<string> {
      try {
        // A copy in a plain ArrayBuffer: WebCrypto refuses views over shared memory.
        const signature = await subtle.sign(ED25519, keyPair.privateKey, new Uint8Array(bytes));
        return signatureSchema.parse(toBase64Url(new Uint8Array(signature)));
      } catch (error) {
        throw new TesseraError('internal_error', `Signing failed: ${error instanceof Error ? error.message : 'unknown failure'}`);
      }
    },
  };
}

/** The same identity, carrying the nonce of its proof of work. */
export function withIdentityProof(identity: TabIdentity, nonce: number): TabIdentity {
  return { ...identity, identityProof: nonce };
}

/** A key pair that lives as long as the page (`?identity=ephemeral`). */
export async function ephemeralTabIdentity(): Promise<TabIdentity> {
  return tabIdentityFromKeyPair(await generateTabKeyPair(), 'ephemeral');
}
