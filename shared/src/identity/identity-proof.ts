import { z } from 'zod';
import { fromBase64Url } from '../signing/base64url.ts';

/**
 * A proof of work bound to a tab's key (hashcash): a nonce such that
 * sha256(IDENTITY_PROOF_DOMAIN ‖ raw public key ‖ nonce as 8 bytes big-endian) starts with at least the
 * number of zero bits the coordinator asks for (`GET /api/v1/admission`). The tab finds it once, when it
 * makes its key, and keeps it with the key; every `worker:hello` carries it, and checking it is one hash.
 * It makes a fresh identity cost a browser about a second; the address limits bound how many it may use.
 */
export const IDENTITY_PROOF_DOMAIN = 'tessera:identity-proof:v1';

/**
 * What a coordinator asks for unless configured otherwise: 2¹⁸ hashes expected, about a second in a
 * desktop Chromium tab (WebCrypto, 2026) — and a few milliseconds of native code, which is why it is a
 * cost on churn, not the Sybil defence itself (README: Sybil model).
 */
export const DEFAULT_IDENTITY_PROOF_BITS = 18;

/** The nonce, sent as `worker:hello.identityProof`: a non-negative safe integer. */
export const identityProofSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A nonce and the leading zero bits its hash has (possibly more than were asked for). */
export interface IdentityProof {
  nonce: number;
  bits: number;
}

const domainBytes = new TextEncoder().encode(IDENTITY_PROOF_DOMAIN);
const NONCE_OFFSET = domainBytes.length + 32;

/** The bytes that are hashed: the domain tag keeps the hash from meaning anything in another protocol. */
export function identityProofMessage(publicKey: string, nonce: number): Uint8Array<ArrayBuffer> {
  const key = fromBase64Url(publicKey);
  if (key.length !== 32) throw new RangeError('an identity proof needs a raw 32-byte Ed25519 public key');
  const message = new Uint8Array(NONCE_OFFSET + 8);
  message.set(domainBytes, 0);
  message.set(key, domainBytes.length);
  writeNonce(message, nonce);
  return message;
}

function writeNonce(message: Uint8Array, nonce: number): void {
  if (!identityProofSchema.safeParse(nonce).success) throw new RangeError('the nonce must be a non-negative safe integer');
  // 2^53 does not fit 32-bit arithmetic: split into the high and low words by division.
  const high = Math.floor(nonce / 2 ** 32);
  const low = nonce >>> 0;
  const view = new DataView(message.buffer, message.byteOffset + NONCE_OFFSET, 8);
  view.setUint32(0, high);
  view.setUint32(4, low);
}

/** Zero bits before the first one bit, from the first byte's most significant bit. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** The leading zero bits of a nonce's hash for this key (WebCrypto, so the same in tabs and Node). */
export async function identityProofBits(publicKey: string, nonce: number): Promise<number> {
  return leadingZeroBits(new Uint8Array(await crypto.subtle.digest('SHA-256', identityProofMessage(publicKey, nonce))));
}

export interface FindIdentityProofOptions {
  /** The first nonce to try: a search for more bits resumes after the last proof (smaller nonces all fell short). */
  from?: number;
  /** Called every `pauseEvery` hashes (default 4,096), e.g. to let the page render. */
  pause?: () => Promise<void>;
  pauseEvery?: number;
}

/**
 * Finds the first nonce from `from` whose hash has at least `bits` leading zero bits: 2^bits hashes on
 * average. With 0 bits any nonce does, and `from` is returned without hashing.
 */
export async function findIdentityProof(publicKey: string, bits: number, options: FindIdentityProofOptions = {}): Promise<IdentityProof> {
  const from = options.from ?? 0;
  if (bits <= 0) return { nonce: from, bits: 0 };
  const pauseEvery = options.pauseEvery ?? 4096;
  const message = identityProofMessage(publicKey, from);
  for (let nonce = from, tried = 0; nonce <= Number.MAX_SAFE_INTEGER; nonce++, tried++) {
    if (options.pause !== undefined && tried > 0 && tried % pauseEvery === 0) await options.pause();
    writeNonce(message, nonce);
    // digest copies its input when called, so the buffer can be rewritten for the next nonce at once.
    const found = leadingZeroBits(new Uint8Array(await crypto.subtle.digest('SHA-256', message)));
    if (found >= bits) return { nonce, bits: found };
  }
  throw new RangeError('no nonce left below 2^53');
}
