import { MODEL_CATALOG, TINY_GPT2_ID, TesseraError, findModel } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';
import { modelLibURLPrefix, modelVersion, prebuiltAppConfig } from '@mlc-ai/web-llm';
import { describe, expect, it } from 'vitest';
import { webLlmAppConfig, webLlmModelRecord } from './web-llm-app-config.ts';

const hosts = { coordinatorOrigin: 'http://127.0.0.1:8787', hubUrl: 'https://hub.example' };
const webLlmEntries = MODEL_CATALOG.filter((entry) => entry.engine === 'web-llm');

describe('webLlmModelRecord', () => {
  it('builds a record from the catalog entry', () => {
    const entry = webLlmEntries[0];
    expect(entry).toBeDefined();
    if (entry === undefined || entry.webLlm === null) return;
    const record = webLlmModelRecord(entry, hosts);
    expect(record).toEqual({
      model: entry.webLlm.modelUrl,
      model_id: entry.id,
      model_lib: entry.webLlm.modelLibUrl,
      vram_required_MB: entry.webLlm.vramRequiredMiB,
      required_features: ['shader-f16'],
      overrides: { context_window_size: entry.webLlm.contextWindowSize },
    });
  });

  it('points a mirrored web-llm model at the coordinator, in the layout web-llm expects', () => {
    const base = webLlmEntries[0];
    if (base === undefined) throw new Error('catalog has no web-llm model');
    const mirrored: ModelCatalogEntry = { ...base, id: 'operator/mirrored-mlc', source: { kind: 'mirror' } };
    expect(webLlmModelRecord(mirrored, hosts).model).toBe('http://127.0.0.1:8787/models/operator/mirrored-mlc/resolve/main/');
  });

  it('refuses a model that is not a web-llm model', () => {
    const tiny = findModel(MODEL_CATALOG, TINY_GPT2_ID);
    if (tiny === undefined) throw new Error('catalog lacks the tiny model');
    expect(() => webLlmModelRecord(tiny, hosts)).toThrow(TesseraError);
  });

  it('builds an appConfig with the chosen cache backend', () => {
    const config = webLlmAppConfig(webLlmEntries, hosts, 'indexeddb');
    expect(config.cacheBackend).toBe('indexeddb');
    expect(config.model_list.map((record) => record.model_id)).toEqual(webLlmEntries.map((entry) => entry.id));
  });
});

describe('catalog model libraries match the pinned @mlc-ai/web-llm', () => {
  // A model library compiled for another web-llm version fails at load time with an ABI error, on real
  // GPUs only; this is the check CI can make.
  const prebuiltLibs = new Set(prebuiltAppConfig.model_list.map((record) => record.model_lib));

  it.each(webLlmEntries.map((entry) => ({ id: entry.id, entry })))('$id uses the pinned library folder', ({ entry }) => {
    const lib = entry.webLlm?.modelLibUrl ?? '';
    expect(lib.startsWith(`${modelLibURLPrefix}${modelVersion}/`), `expected ${lib} under ${modelLibURLPrefix}${modelVersion}/`).toBe(true);
    expect(prebuiltLibs.has(lib), `${lib} is not a library the pinned web-llm ships a record for`).toBe(true);
  });
});
