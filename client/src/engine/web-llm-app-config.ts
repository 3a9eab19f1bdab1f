import { TesseraError, assertNever } from '@tessera/shared';
import type { ModelCatalogEntry } from '@tessera/shared';
import type { AppConfig, ModelRecord } from '@mlc-ai/web-llm';
import type { ModelHosts } from './model-location.ts';

/** web-llm does not export its `CacheBackend` type from the package root. */
export type CacheBackend = NonNullable<AppConfig['cacheBackend']>;

/**
 * web-llm appends `resolve/main/` to a model URL unless it already has a `/resolve/<rev>/` part, so a
 * mirrored web-llm model is served by the coordinator under `/models/<id>/resolve/main/<file>`.
 */
function modelBaseUrl(entry: ModelCatalogEntry, modelUrl: string, hosts: ModelHosts): string {
  const source = entry.source;
  switch (source.kind) {
    case 'mirror':
      return `${new URL(hosts.coordinatorOrigin).origin}/models/${entry.id}/resolve/main/`;
    case 'hub':
      return modelUrl;
    default:
      return assertNever(source, 'model source');
  }
}

/**
 * The web-llm `ModelRecord` for a catalog entry. Kept pure so CI, which cannot run web-llm (no GPU, no
 * MLC weights), still checks everything the engine hands to web-llm.
 */
export function webLlmModelRecord(entry: ModelCatalogEntry, hosts: ModelHosts): ModelRecord {
  const settings = entry.webLlm;
  if (entry.engine !== 'web-llm' || settings === null) {
    throw new TesseraError('model_load_failed', `${entry.id} is not a web-llm model.`);
  }
  const dtype = entry.dtype.webgpu;
  return {
    model: modelBaseUrl(entry, settings.modelUrl, hosts),
    model_id: entry.id,
    model_lib: settings.modelLibUrl,
    vram_required_MB: settings.vramRequiredMiB,
    // q4f16 libraries use f16 arithmetic in their shaders; an adapter without it cannot run them.
    ...(dtype !== undefined && dtype.includes('f16') ? { required_features: ['shader-f16'] } : {}),
    overrides: { context_window_size: settings.contextWindowSize },
  };
}

export function webLlmAppConfig(entries: readonly ModelCatalogEntry[], hosts: ModelHosts, cacheBackend: CacheBackend): AppConfig {
  return { model_list: entries.map((entry) => webLlmModelRecord(entry, hosts)), cacheBackend };
}
