import { z } from 'zod';
import { IDENTITY_PROOF_DOMAIN } from './identity-proof.ts';

const count = z.number().int().min(0);

/**
 * `GET /api/v1/admission`: what the coordinator asks of a tab before it joins — the identity proof's
 * difficulty, which a tab reads before it makes its proof — and the limits per address and per network
 * prefix it applies, published so volunteers and operators can see them.
 */
export const admissionPolicySchema = z.object({
  identityProof: z.object({
    algorithm: z.literal('sha256'),
    domain: z.literal(IDENTITY_PROOF_DOMAIN),
    /** Leading zero bits the hash must have; 0: no proof needed. */
    bits: z.number().int().min(0).max(32),
  }),
  limits: z.object({
    /** Connected tabs (any role) per client address, and per /24 (IPv4) or /64 (IPv6). */
    tabsPerAddress: count,
    tabsPerPrefix: count,
    /** Keys never seen before, admitted per address and per prefix within `newIdentityWindowMs`. */
    newIdentitiesPerAddress: count,
    newIdentitiesPerPrefix: count,
    newIdentityWindowMs: count,
    /** A banned key counts as this many new identities against where it was first seen (a caught one: a third per catch), for `bannedIdentityMemoryMs`. */
    bannedIdentityWeight: count,
    bannedIdentityMemoryMs: count,
    ipv4PrefixLength: z.literal(24),
    ipv6PrefixLength: z.literal(64),
  }),
});
export type AdmissionPolicy = z.infer<typeof admissionPolicySchema>;
