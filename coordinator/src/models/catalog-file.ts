import { MODEL_CATALOG, mergeCatalogs, modelCatalogFileSchema } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';
import { readFileSync } from 'node:fs';

/**
 * The catalog a coordinator serves: the built-in one, with an operator's catalog file (`--catalog`) merged
 * in — its entries replace built-in ones of the same id and add the others. Throws a readable error for a
 * file that is missing, not JSON, or not in the catalog's schema: a coordinator must not start on a
 * catalog it half understood.
 */
export function loadCatalog(file: string, base: readonly ModelCatalogEntry[] = MODEL_CATALOG): readonly ModelCatalogEntry[] {
  if (file === '') return base;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the catalog ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = modelCatalogFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`The catalog ${file} does not match the catalog schema: ${issues.join('; ')}`);
  }
  return mergeCatalogs(base, parsed.data.models);
}
