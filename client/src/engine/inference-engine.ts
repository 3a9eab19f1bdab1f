import type {
  Backend,
  ChatEvidence,
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

export interface ScoreRequest {
  /** The task as the worker ran it: the prompt is rebuilt from it exactly as generation builds it. */
  task: ChatTaskSpec;
  /** The token ids the worker claims to have generated. */
  tokenIds: readonly number[];
  /** Aborting rejects the call with `task_cancelled` (the forward pass itself runs to its end). */
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
  /**
   * Guards: scores claimed chat tokens in one forward pass (no generation). Rejects with
   * `invalid_request` for a claim no tab could have produced (ids outside the vocabulary, longer than
   * the context), and with `model_kind_mismatch` on an engine that cannot expose logits (web-llm).
   */
  score(request: ScoreRequest): Promise<ChatEvidence>;
  /** Frees the model's memory; unloading a model that is not loaded is a no-op. */
  unload(modelId: string): Promise<void>;
  listLoaded(): Promise<LoadedModel[]>;
}
