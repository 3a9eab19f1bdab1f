import { describe, expect, it } from 'vitest';
import { MODEL_CATALOG, modelCatalogEntrySchema } from './model-catalog.ts';

describe('model catalog', () => {
  it('every entry matches the schema and ids are unique', () => {
    for (const entry of MODEL_CATALOG) modelCatalogEntrySchema.parse(entry);
    expect(new Set(MODEL_CATALOG.map((entry) => entry.id)).size).toBe(MODEL_CATALOG.length);
  });

  it('mirrored models list their files with hashes; web-llm models carry their settings', () => {
    for (const entry of MODEL_CATALOG) {
      if (entry.source.kind === 'mirror') expect(entry.files.length).toBeGreaterThan(0);
      expect(entry.webLlm !== null).toBe(entry.engine === 'web-llm');
      if (entry.task === 'feature-extraction') expect(entry.embeddingDimensions).toBeGreaterThan(0);
    }
  });
});
