import type {
  Backend,
  ChatTaskSpec,
  EmbeddingsTaskSpec,
  LoadedModel,
  LoadProgress,
  ModelCatalogEntry,
  TaskOutput,
  TaskUsage,
} from '@tessera/shared';

export type ChatOutput = Extract<TaskOutput, { kind: 'chat' }>;
export type EmbeddingsOutput = Extract<TaskOutput, { kind: 'embeddings' }>;

export interface LoadRequest {
  model: ModelCatalogEntry;
  backend: Backend;
  onProgress?: (progress: LoadProgress) => void;
}

export interface GenerateRequest {
  task: ChatTaskSpec;
  /** Called with each piece of new text, in order; their concatenation equals `output.text`. */
  onDelta?: (delta: string) => void;
  /** Aborting stops generation after the current token; the call then rejects with `task_cancelled`. */
  signal?: AbortSignal;
}

export interface EmbedRequest {
  task: EmbeddingsTaskSpec;
  signal?: AbortSignal;
}

export interface ChatRun {
  output: ChatOutput;
  usage: TaskUsage;
}

export interface EmbeddingsRun {
  output: EmbeddingsOutput;
  usage: TaskUsage;
}

/**
 * What a tab runs models with. Implemented by the engines inside the Web Worker (transformers.js,
 * web-llm), by the router that picks between them, and by the main-thread `EngineProxy` that talks to
 * the worker, so the page cannot tell where the work happens.
 *
 * Every method rejects with a `TesseraError` whose code is in the shared registry.
 */
export interface InferenceEngine {
  /** Downloads (or reads from cache) and initialises a model; resolves once it can run tasks. */
  load(request: LoadRequest): Promise<LoadedModel>;
  generate(request: GenerateRequest): Promise<ChatRun>;
  embed(request: EmbedRequest): Promise<EmbeddingsRun>;
  /** Frees the model's memory; unloading a model that is not loaded is a no-op. */
  unload(modelId: string): Promise<void>;
  listLoaded(): Promise<LoadedModel[]>;
}
