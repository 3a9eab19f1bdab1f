import { describe, expect, it } from 'vitest';
import { MODEL_CATALOG, modelCatalogEntrySchema } from './model-catalog.ts';
import { mergeCatalogs, modelCatalogFileSchema } from './model-catalog-file.ts';

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

describe('catalog files and known answers', () => {
  it('every model with a reference run has several known answers; the headline canary is among them', () => {
    for (const entry of MODEL_CATALOG.filter((candidate) => candidate.source.kind === 'mirror')) {
      expect(entry.knownAnswers.length).toBeGreaterThanOrEqual(3);
      if (entry.canary !== null)
        expect(entry.knownAnswers).toContainEqual({ kind: 'chat', ...entry.canary, finishReason: 'stop', dtype: entry.dtype.wasm });
    }
  });

  it('an operator catalog replaces entries of the same id in place and appends the rest', () => {
    const [first, second] = MODEL_CATALOG;
    if (first === undefined || second === undefined) throw new Error('catalog too small');
    const replaced = { ...second, label: 'replaced' };
    const added = { ...first, id: 'org/new' };
    const merged = mergeCatalogs(MODEL_CATALOG, [added, replaced]);
    expect(merged.map((entry) => entry.id)).toEqual([...MODEL_CATALOG.map((entry) => entry.id), 'org/new']);
    expect(merged[1]).toBe(replaced);
    expect(modelCatalogFileSchema.parse({ models: merged }).models).toHaveLength(MODEL_CATALOG.length + 1);
  });
});
