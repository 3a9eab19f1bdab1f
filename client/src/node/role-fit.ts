import type { ModelCatalogEntry, WorkerRole } from '@tessera/shared';
import type { ModelFit } from './device-fit.ts';

/** Shown next to web-llm models on the guard page. */
export const GUARD_NEEDS_LOGITS =
  "guards re-score outputs from the model's logits, which web-llm does not expose: only transformers.js models can be checked";

/**
 * Whether a tab in `role` may offer `entry`, whatever the device: a guard checks claims in one forward
 * pass over the logits, so it offers transformers.js models only.
 */
export function roleFit(entry: ModelCatalogEntry, role: WorkerRole): ModelFit {
  if (role === 'guard' && entry.engine !== 'transformers') return { ok: false, reason: GUARD_NEEDS_LOGITS };
  return { ok: true };
}
