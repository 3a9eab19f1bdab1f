import { TesseraError } from '@tessera/shared';
import type { ChatEvidence, EngineId, LoadedModel } from '@tessera/shared';
import type {
  ChatRun,
  EmbedRequest,
  EmbeddingsRun,
  GenerateRequest,
  InferenceEngine,
  LoadRequest,
  ScoreRequest,
} from './inference-engine.ts';

/** Makes an engine on first use, so a tab that serves only transformers.js models never imports web-llm. */
export type EngineFactories = Record<EngineId, () => Promise<InferenceEngine>>;

/**
 * One `InferenceEngine` over several: a load goes to the engine its catalog entry names, and every
 * later call for that model to the same engine.
 */
export class EngineRouter implements InferenceEngine {
  readonly #factories: EngineFactories;
  readonly #engines = new Map<EngineId, Promise<InferenceEngine>>();
  readonly #modelEngines = new Map<string, EngineId>();

  constructor(factories: EngineFactories) {
    this.#factories = factories;
  }

  async load(request: LoadRequest): Promise<LoadedModel> {
    const engineId = request.model.engine;
    const previous = this.#modelEngines.get(request.model.id);
    if (previous !== undefined && previous !== engineId) await this.unload(request.model.id);
    const loaded = await (await this.#engine(engineId)).load(request);
    this.#modelEngines.set(request.model.id, engineId);
    return loaded;
  }

  async generate(request: GenerateRequest): Promise<ChatRun> {
    return (await this.#engineFor(request.task.model)).generate(request);
  }

  async embed(request: EmbedRequest): Promise<EmbeddingsRun> {
    return (await this.#engineFor(request.task.model)).embed(request);
  }

  async score(request: ScoreRequest): Promise<ChatEvidence> {
    return (await this.#engineFor(request.task.model)).score(request);
  }

  async unload(modelId: string): Promise<void> {
    const engineId = this.#modelEngines.get(modelId);
    if (engineId === undefined) return;
    this.#modelEngines.delete(modelId);
    await (await this.#engine(engineId)).unload(modelId);
  }

  async listLoaded(): Promise<LoadedModel[]> {
    const lists = await Promise.all([...this.#engines.values()].map(async (engine) => (await engine).listLoaded()));
    return lists.flat();
  }

  #engine(engineId: EngineId): Promise<InferenceEngine> {
    let engine = this.#engines.get(engineId);
    if (engine === undefined) {
      engine = this.#factories[engineId]();
      // A failed import must not poison later attempts.
      engine.catch(() => this.#engines.delete(engineId));
      this.#engines.set(engineId, engine);
    }
    return engine;
  }

  #engineFor(modelId: string): Promise<InferenceEngine> {
    const engineId = this.#modelEngines.get(modelId);
    if (engineId === undefined) return Promise.reject(new TesseraError('model_load_failed', `${modelId} is not loaded in this tab.`));
    return this.#engine(engineId);
  }
}
