import { IDENTITY_PROOF_DOMAIN, admissionPolicySchema } from '@tessera/shared';
import type { AdmissionPolicy } from '@tessera/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AdmissionLimits } from './admission-policy.ts';

export function admissionPolicyView(limits: AdmissionLimits): AdmissionPolicy {
  const { identityProofBits, ...counts } = limits;
  return {
    identityProof: { algorithm: 'sha256', domain: IDENTITY_PROOF_DOMAIN, bits: identityProofBits },
    limits: { ...counts, ipv4PrefixLength: 24, ipv6PrefixLength: 64 },
  };
}

/**
 * `GET /api/v1/admission`: the identity proof's difficulty, which a tab reads before it makes its proof
 * (so it never has to be refused to learn it), and the admission limits, in the open.
 */
export const admissionRoute: FastifyPluginAsync<{ limits: AdmissionLimits }> = async (app, { limits }) => {
  const view = admissionPolicyView(limits);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/admission',
    {
      schema: {
        tags: ['Network'],
        summary: "What a tab must prove to join (the identity proof's difficulty) and the limits per address and network",
        response: { 200: admissionPolicySchema },
      },
    },
    async () => view,
  );
};
