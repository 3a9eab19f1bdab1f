import type { ModelCatalogEntry, OllamaModelDetails, OllamaShowResponse } from '@tessera/shared';

/** `details` as `/api/tags` and `/api/show` give them: what the catalog knows (no parameter count, no architecture). */
export function ollamaModelDetails(model: ModelCatalogEntry): OllamaModelDetails {
  return {
    parent_model: '',
    format: model.engine === 'web-llm' ? 'mlc' : 'onnx',
    family: model.task,
    families: null,
    parameter_size: '',
    quantization_level: model.dtype.webgpu ?? model.dtype.wasm ?? '',
  };
}

function callsTools(model: ModelCatalogEntry): boolean {
  return model.toolFormat !== null && model.engine !== 'web-llm';
}

/**
 * `POST /api/show` of a catalog model. Clients read the context length from `model_info` under
 * `<general.architecture>.context_length`, so the family stands in for the architecture the catalog does not
 * name; `capabilities` say whether it serves `/api/chat` and `/api/generate` or `/api/embed`, and whether
 * `/api/chat` takes its `tools` (the rules of `ollamaTools`: a tool format, and token ids guards can replay).
 */
export function ollamaShowResponse(model: ModelCatalogEntry): OllamaShowResponse {
  const details = ollamaModelDetails(model);
  const architecture = details.family;
  const embedding = model.task === 'feature-extraction';
  return {
    modelfile: '',
    parameters: '',
    template: '',
    system: '',
    license: '',
    details,
    model_info: {
      'general.architecture': architecture,
      'general.basename': model.id,
      [`${architecture}.context_length`]: model.contextLength,
      ...(model.embeddingDimensions === null ? {} : { [`${architecture}.embedding_length`]: model.embeddingDimensions }),
    },
    capabilities: embedding ? ['embedding'] : ['completion', ...(callsTools(model) ? (['tools'] as const) : [])],
    modified_at: new Date(0).toISOString(),
  };
}
