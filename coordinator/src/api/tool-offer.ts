import { TesseraError, type ModelCatalogEntry } from '@tessera/shared';

/**
 * Whether a task may offer tools to this model, the same rule on every API (OpenAI, Responses, Anthropic,
 * Ollama): only a model whose catalog entry names a tool format, never on web-llm (its answers carry no token
 * ids, so guards could not replay the grammar). `param` is where the request's API keeps its tools.
 */
export function assertModelTakesTools(model: ModelCatalogEntry, param = 'tools'): void {
  if (model.engine === 'web-llm')
    throw new TesseraError(
      'unsupported_parameter',
      `tools are not supported for ${model.id}: its engine (web-llm) reports no token ids, so guards could not check them.`,
      param,
    );
  if (model.toolFormat === null)
    throw new TesseraError(
      'unsupported_parameter',
      `${model.id} is not offered tools: its chat template defines no tool-call format.`,
      param,
    );
}

/** A tool call names its tool, so two tools of one name cannot both be offered. */
export function assertDistinctToolNames(names: readonly string[], param = 'tools'): void {
  if (new Set(names).size !== names.length) throw new TesseraError('invalid_request', 'Two tools have the same name.', param);
}
