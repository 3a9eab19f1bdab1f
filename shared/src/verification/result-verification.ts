import { z } from 'zod';
import type { ModelCatalogEntry } from '../model-catalog.ts';

/**
 * How far a delivered result was verified, as callers see it (`tessera.verification` in API answers,
 * `x-tessera-verification`): `passed` a guard confirmed it; `unchecked` not sampled this time (the tab's
 * record makes that a calculated risk); `unverified` sampled but no guard could check it, or its engine
 * cannot be checked at all.
 */
export const resultVerificationSchema = z.enum(['passed', 'unchecked', 'unverified']);
export type ResultVerification = z.infer<typeof resultVerificationSchema>;

/**
 * Whether guards can re-check this model's results. Guards re-score claimed tokens in one forward pass
 * with transformers.js; web-llm reports no token ids, and no judge of MLC against transformers.js
 * quantizations has been measured yet, so its results are delivered `unverified` and paid at the
 * probation rate until one is.
 */
export function guardsCanCheck(model: Pick<ModelCatalogEntry, 'engine'>): boolean {
  return model.engine === 'transformers';
}
