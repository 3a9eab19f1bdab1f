import { TesseraError } from '@tessera/shared';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { TierRequirement } from '../placement/eligibility.ts';

/** The request header by which a caller keeps its prompt to tabs (and guards) of proven standing. */
export const MIN_TIER_HEADER = 'x-tessera-min-tier';

const minTierSchema = z.enum(['trusted', 'veteran']);

/**
 * The standing the caller asks of every tab that will see its prompt, from `x-tessera-min-tier`:
 * `trusted` or `veteran`; absent means any tab in good standing. Fewer tabs qualify, so such a task may
 * wait longer (up to the queue timeout). Anything else is refused before the task is stored.
 */
export function minTierFrom(headers: IncomingHttpHeaders): TierRequirement {
  const value = headers[MIN_TIER_HEADER];
  if (value === undefined) return null;
  const parsed = minTierSchema.safeParse(Array.isArray(value) ? value[0] : value.trim().toLowerCase());
  if (!parsed.success) throw new TesseraError('invalid_request', `${MIN_TIER_HEADER} must be 'trusted' or 'veteran'.`, MIN_TIER_HEADER);
  return parsed.data;
}
