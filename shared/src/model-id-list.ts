import { z } from 'zod';

/**
 * A comma-separated list of catalog model ids, as a page's query or an element's attribute carries it:
 * each id trimmed, empty ones dropped, 1 to `most` ids of at most 200 characters.
 */
export function modelIdListSchema(most: number) {
  return z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id.length > 0),
    )
    .pipe(z.array(z.string().min(1).max(200)).min(1).max(most));
}
