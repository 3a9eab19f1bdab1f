import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../signing/base64url.ts';
import {
  IDENTITY_PROOF_DOMAIN,
  findIdentityProof,
  identityProofBits,
  identityProofMessage,
  identityProofSchema,
  leadingZeroBits,
} from './identity-proof.ts';

const publicKey = toBase64Url(Uint8Array.from({ length: 32 }, (_, i) => i * 7));

describe('identity proof of work', () => {
  it('hashes the domain tag, the raw key and the nonce as 8 bytes big-endian', () => {
    const message = identityProofMessage(publicKey, 2 ** 40 + 258);
    const domain = new TextEncoder().encode(IDENTITY_PROOF_DOMAIN);
    expect(message.length).toBe(domain.length + 32 + 8);
    expect([...message.subarray(0, domain.length)]).toEqual([...domain]);
    expect(message[domain.length + 1]).toBe(7);
    expect([...message.subarray(-8)]).toEqual([0, 0, 1, 0, 0, 0, 1, 2]);
    expect([...identityProofMessage(publicKey, Number.MAX_SAFE_INTEGER).subarray(-8)]).toEqual([0, 0x1f, 255, 255, 255, 255, 255, 255]);
  });

  it('refuses nonces and keys that are not what the protocol says', () => {
    expect(() => identityProofMessage(publicKey, -1)).toThrow(RangeError);
    expect(() => identityProofMessage(publicKey, 1.5)).toThrow(RangeError);
    expect(() => identityProofMessage(publicKey, 2 ** 53)).toThrow(RangeError);
    expect(() => identityProofMessage(toBase64Url(new Uint8Array(31)), 0)).toThrow(RangeError);
    expect(identityProofSchema.safeParse(2 ** 53).success).toBe(false);
    expect(identityProofSchema.safeParse('12').success).toBe(false);
  });

  it('counts leading zero bits across bytes', () => {
    expect(leadingZeroBits(Uint8Array.of(0x80))).toBe(0);
    expect(leadingZeroBits(Uint8Array.of(0x01, 0xff))).toBe(7);
    expect(leadingZeroBits(Uint8Array.of(0, 0, 0x20))).toBe(18);
    expect(leadingZeroBits(new Uint8Array(4))).toBe(32);
  });

  it('finds a nonce with the asked bits, the first one from where it starts', async () => {
    const proof = await findIdentityProof(publicKey, 10);
    expect(proof.bits).toBeGreaterThanOrEqual(10);
    expect(await identityProofBits(publicKey, proof.nonce)).toBe(proof.bits);
    for (let nonce = 0; nonce < proof.nonce; nonce++) expect(await identityProofBits(publicKey, nonce)).toBeLessThan(10);
    // Asking for more resumes after the last proof: every smaller nonce already fell short.
    const more = await findIdentityProof(publicKey, 12, { from: proof.nonce });
    expect(more.nonce).toBeGreaterThanOrEqual(proof.nonce);
    expect(more).toEqual(await findIdentityProof(publicKey, 12));
  });

  it('binds the proof to the key', async () => {
    const proof = await findIdentityProof(publicKey, 12);
    const other = toBase64Url(Uint8Array.from({ length: 32 }, (_, i) => i));
    expect(await identityProofBits(other, proof.nonce)).toBeLessThan(12);
  });

  it('pauses while it searches, and needs no hashing for zero bits', async () => {
    let pauses = 0;
    const proof = await findIdentityProof(publicKey, 12, { pauseEvery: 64, pause: async () => void pauses++ });
    expect(pauses).toBe(Math.floor(proof.nonce / 64));
    expect(await findIdentityProof(publicKey, 0, { from: 5 })).toEqual({ nonce: 5, bits: 0 });
  });
});
