import { MODEL_CATALOG, findModel } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';

/** The shipped catalog's entry for `id`; throws so a renamed model fails the test that uses it, loudly. */
export function catalogEntry(id: string): ModelCatalogEntry {
  const entry = findModel(MODEL_CATALOG, id);
  if (entry === undefined) throw new Error(`${id} is not in the catalog`);
  return entry;
}
