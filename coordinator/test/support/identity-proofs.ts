import { admissionPolicySchema, findIdentityProof } from '@tessera/shared';

/** Proofs already found, per key and bits: a scripted tab that reconnects with its identity does not search again. */
const found = new Map<string, Promise<number>>();

/**
 * The identity proof a tab would send to the coordinator at `url`: it reads the difficulty from
 * `GET /api/v1/admission`, as the volunteer page does, and searches with the shared WebCrypto function.
 * Test coordinators ask for few bits (or none), so this takes milliseconds.
 */
export async function proveIdentity(url: string, publicKey: string): Promise<number> {
  const response = await fetch(`${url}/api/v1/admission`);
  if (!response.ok) throw new Error(`GET /api/v1/admission answered ${response.status}`);
  const { bits } = admissionPolicySchema.parse(await response.json()).identityProof;
  const key = `${publicKey}/${bits}`;
  let proof = found.get(key);
  if (proof === undefined) {
    proof = findIdentityProof(publicKey, bits).then((result) => result.nonce);
    found.set(key, proof);
  }
  return proof;
}
