import { z } from 'zod';

/** One file a tab loaded, as it hashed it. */
export const attestedFileSchema = z.strictObject({
  path: z.string().min(1).max(500),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type AttestedFile = z.infer<typeof attestedFileSchema>;

/**
 * `model:attest`: the sha256 of every file a tab loaded for a model whose catalog entry lists no hashes
 * (a hub model not hashed yet), and the commit it loaded them at. The coordinator pins a file's hash once
 * enough distinct keys agree, and refuses the model to a tab whose bytes differ from a pin.
 */
export const modelAttestSchema = z.strictObject({
  modelId: z.string().min(1).max(200),
  revision: z.string().min(1).max(100),
  files: z.array(attestedFileSchema).min(1).max(64),
});
export type ModelAttest = z.infer<typeof modelAttestSchema>;
