import type { ModelCatalogEntry, WorkTokenizer } from '@tessera/shared';

export interface TokenizerSources {
  /** Folder of mirrored models (`<modelsDir>/<id>/tokenizer.json`): the files the coordinator serves to tabs. */
  modelsDir: string;
  /** Base URL of the model hub (or an operator's mirror of it), for hub models. */
  hubUrl: string;
}

/**
 * Loads a model's tokenizer with transformers.js in Node, from the same files the tabs load: the
 * coordinator's mirror for mirrored models, the hub (at the catalog's pinned revision) for hub models.
 * transformers.js is imported on first use: a coordinator that never counts pays nothing for it.
 */
export async function loadTokenizer(model: ModelCatalogEntry, sources: TokenizerSources): Promise<WorkTokenizer> {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.localModelPath = sources.modelsDir.endsWith('/') ? sources.modelsDir : `${sources.modelsDir}/`;
  env.remoteHost = sources.hubUrl.endsWith('/') ? sources.hubUrl : `${sources.hubUrl}/`;
  if (model.source.kind === 'mirror') {
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    return await AutoTokenizer.from_pretrained(model.id, { local_files_only: true });
  }
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  return await AutoTokenizer.from_pretrained(model.source.repo, { revision: model.source.revision });
}
