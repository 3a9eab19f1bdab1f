import { z } from 'zod';
import { modelCatalogEntrySchema, type ModelCatalogEntry } from './model-catalog.ts';

/**
 * An operator's catalog file (`--catalog <file.json>`), as `npm run models:hash` writes it: entries in the
 * built-in catalog's schema. An entry with a built-in id replaces the built-in one; others are added.
 */
export const modelCatalogFileSchema = z.object({ models: z.array(modelCatalogEntrySchema).max(1000) });
export type ModelCatalogFile = z.infer<typeof modelCatalogFileSchema>;

/**
 * `GET /api/v1/catalog`: the catalog this coordinator serves and the hub its tabs load hub models from.
 * Pages load it before they start, so an operator's catalog needs no change in the pages.
 */
export const networkCatalogSchema = z.object({
  hubUrl: z.url({ protocol: /^https?$/ }),
  models: z.array(modelCatalogEntrySchema).max(1000),
});
export type NetworkCatalog = z.infer<typeof networkCatalogSchema>;

/** `base` with `extra`'s entries: one of the same id replaces it in place, the rest are appended in order. */
export function mergeCatalogs(base: readonly ModelCatalogEntry[], extra: readonly ModelCatalogEntry[]): ModelCatalogEntry[] {
  const replacements = new Map(extra.map((entry) => [entry.id, entry]));
  const merged = base.map((entry) => replacements.get(entry.id) ?? entry);
  const known = new Set(base.map((entry) => entry.id));
  for (const entry of replacements.values()) if (!known.has(entry.id)) merged.push(entry);
  return merged;
}
