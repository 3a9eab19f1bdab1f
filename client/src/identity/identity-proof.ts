import { DEFAULT_IDENTITY_PROOF_BITS, admissionPolicySchema, findIdentityProof } from '@tessera/shared';
import { z } from 'zod';

/** What a tab keeps beside its key: the proof, and what finding it cost (shown to no one, measured by tests). */
export const storedIdentityProofSchema = z.object({
  publicKey: z.string(),
  nonce: z.number().int().min(0),
  bits: z.number().int().min(0),
  /** Hashes tried and milliseconds spent, over every search for this key so far. */
  hashes: z.number().int().min(0),
  elapsedMs: z.number().min(0),
});
export type StoredIdentityProof = z.infer<typeof storedIdentityProofSchema>;

export interface ProveOptions {
  now?: () => number;
  /** Lets the page render during a long search. */
  pause?: () => Promise<void>;
}

/**
 * The proof of work for `publicKey` with at least `bits` leading zero bits: the stored one when it is for
 * this key and proves enough, else a search — resumed after a weaker stored proof, whose smaller nonces
 * all fell short, so raising the coordinator's difficulty costs only the difference.
 */
export async function proveIdentity(
  publicKey: string,
  bits: number,
  stored: StoredIdentityProof | null,
  options: ProveOptions = {},
): Promise<StoredIdentityProof> {
  const mine = stored !== null && stored.publicKey === publicKey ? stored : null;
  if (mine !== null && mine.bits >= bits) return mine;
  const now = options.now ?? (() => performance.now());
  const from = mine === null ? 0 : mine.nonce + 1;
  const started = now();
  const found = await findIdentityProof(publicKey, bits, {
    from,
    pauseEvery: 16_384,
    pause: options.pause ?? (() => new Promise((resolve) => setTimeout(resolve, 0))),
  });
  return {
    publicKey,
    nonce: found.nonce,
    bits: found.bits,
    hashes: (mine?.hashes ?? 0) + (bits > 0 ? found.nonce - from + 1 : 0),
    elapsedMs: (mine?.elapsedMs ?? 0) + (now() - started),
  };
}

/**
 * The difficulty the coordinator asks for (`GET /api/v1/admission`). When it cannot be read the tab
 * proves the protocol's default: a coordinator that wants more says so when it refuses the hello.
 */
export async function identityProofBits(
  origin: string,
  fetchImpl: (url: string) => Promise<Response> = (url) => fetch(url),
): Promise<number> {
  try {
    const response = await fetchImpl(`${origin}/api/v1/admission`);
    if (!response.ok) return DEFAULT_IDENTITY_PROOF_BITS;
    const policy = admissionPolicySchema.safeParse(await response.json());
    return policy.success ? policy.data.identityProof.bits : DEFAULT_IDENTITY_PROOF_BITS;
  } catch {
    return DEFAULT_IDENTITY_PROOF_BITS;
  }
}
