import { DEFAULT_IDENTITY_PROOF_BITS, identityProofBits as proofBitsOf } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { identityProofBits, proveIdentity, storedIdentityProofSchema } from './identity-proof.ts';
import { ephemeralTabIdentity } from './tab-identity.ts';

function clock(step: number): () => number {
  let now = 0;
  return () => (now += step);
}

describe('the tab identity proof', () => {
  it('is found for the key at the asked bits, with what it cost', async () => {
    const { publicKey } = await ephemeralTabIdentity();
    const proof = await proveIdentity(publicKey, 8, null, { now: clock(5) });
    expect(storedIdentityProofSchema.parse(proof)).toEqual(proof);
    expect(proof).toMatchObject({ publicKey, hashes: proof.nonce + 1, elapsedMs: 5 });
    expect(proof.bits).toBeGreaterThanOrEqual(8);
    expect(await proofBitsOf(publicKey, proof.nonce)).toBe(proof.bits);
  });

  it('is kept when it proves enough for this key, and resumed, not restarted, when more is asked', async () => {
    const { publicKey } = await ephemeralTabIdentity();
    const weak = await proveIdentity(publicKey, 4, null, { now: clock(1) });
    expect(await proveIdentity(publicKey, weak.bits, weak)).toBe(weak);
    const strong = await proveIdentity(publicKey, weak.bits + 3, weak, { now: clock(1) });
    expect(strong.nonce).toBeGreaterThan(weak.nonce);
    expect(strong.bits).toBeGreaterThanOrEqual(weak.bits + 3);
    expect(strong.hashes).toBe(strong.nonce + 1);
    expect(strong.elapsedMs).toBe(weak.elapsedMs + 1);
    // Another key's proof is worth nothing here.
    const other = await ephemeralTabIdentity();
    const fresh = await proveIdentity(other.publicKey, 4, strong, { now: clock(1) });
    expect(fresh.publicKey).toBe(other.publicKey);
    expect(fresh.hashes).toBe(fresh.nonce + 1);
  });

  it('reads the difficulty from the coordinator, and proves the default when it cannot', async () => {
    const policy = {
      identityProof: { algorithm: 'sha256', domain: 'tessera:identity-proof:v1', bits: 11 },
      limits: {
        tabsPerAddress: 64,
        tabsPerPrefix: 256,
        newIdentitiesPerAddress: 36,
        newIdentitiesPerPrefix: 72,
        newIdentityWindowMs: 3_600_000,
        bannedIdentityWeight: 12,
        bannedIdentityMemoryMs: 86_400_000,
        ipv4PrefixLength: 24,
        ipv6PrefixLength: 64,
      },
    };
    const asked: string[] = [];
    const answer =
      (body: unknown, status = 200) =>
      async (url: string) => {
        asked.push(url);
        return new Response(JSON.stringify(body), { status });
      };
    expect(await identityProofBits('http://c.test', answer(policy))).toBe(11);
    expect(asked).toEqual(['http://c.test/api/v1/admission']);
    expect(await identityProofBits('http://c.test', answer(policy, 500))).toBe(DEFAULT_IDENTITY_PROOF_BITS);
    expect(await identityProofBits('http://c.test', answer({ identityProof: { bits: 'many' } }))).toBe(DEFAULT_IDENTITY_PROOF_BITS);
    expect(await identityProofBits('http://c.test', () => Promise.reject(new TypeError('offline')))).toBe(DEFAULT_IDENTITY_PROOF_BITS);
  });
});
