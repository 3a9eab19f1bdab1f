import { TesseraError } from '@tessera/shared';
import type { ChatEvidence, EngineSettings, LoadedModel, TokenScore } from '@tessera/shared';
import type {
  ChatRun,
  EmbedRequest,
  EmbeddingsRun,
  GenerateRequest,
  InferenceEngine,
  LoadRequest,
  ScoreRequest,
} from '../src/engine/inference-engine.ts';

const TOP: TokenScore = { chosenLogit: 5, maxLogit: 5, rank: 0, logProb: -0.01, expectedLogProb: -0.05, logProbVariance: 0.1 };
const UNLIKELY: TokenScore = { chosenLogit: 1, maxLogit: 5, rank: 3, logProb: -30, expectedLogProb: -0.05, logProbVariance: 0.1 };

/**
 * A deterministic `InferenceEngine` for tests of the layers around engines (proxy, worker handler, task
 * and guard runners, the volunteer node): it "generates" a fixed list of deltas, one per tick, as token
 * ids 10, 11, 12…, honours cancellation between them, and scores claims as a model would that generates
 * exactly that: its own tokens are the top choice, any other token is unlikely, and it ends after its
 * last delta.
 */
export class FakeEngine implements InferenceEngine {
  readonly loaded = new Map<string, LoadedModel>();
  deltas: string[] = ['Hel', 'lo', ' world'];
  /** Makes the next call fail with this error. */
  failNext: Error | null = null;
  /** Milliseconds between deltas. */
  stepMs = 1;
  /** What `configure` was called with (the engine worker's one-time settings). */
  readonly configured: EngineSettings[] = [];
  /** Models unloaded, in order. */
  readonly unloaded: string[] = [];

  async configure(settings: EngineSettings): Promise<void> {
    this.#maybeFail();
    this.configured.push(settings);
  }

  async load({ model, backend, onProgress }: LoadRequest): Promise<LoadedModel> {
    this.#maybeFail();
    onProgress?.({ modelId: model.id, loadedBytes: 50, totalBytes: 100, fraction: 0.5, detail: 'fetching onnx/model.onnx' });
    onProgress?.({ modelId: model.id, loadedBytes: 100, totalBytes: 100, fraction: 1, detail: 'ready' });
    const info: LoadedModel = { modelId: model.id, engine: model.engine, backend, loadMs: 1 };
    this.loaded.set(model.id, info);
    return info;
  }

  async generate({ task, onDelta, signal }: GenerateRequest): Promise<ChatRun> {
    this.#maybeFail();
    this.#require(task.model);
    let text = '';
    const tokenIds: number[] = [];
    for (const delta of this.deltas.slice(0, task.params.maxTokens)) {
      await new Promise((resolve) => setTimeout(resolve, this.stepMs));
      if (signal?.aborted) throw new TesseraError('task_cancelled', 'The run was cancelled.');
      text += delta;
      tokenIds.push(tokenIds.length + 10);
      onDelta?.(delta);
    }
    const finishReason = tokenIds.length >= task.params.maxTokens && task.params.maxTokens < this.deltas.length ? 'length' : 'stop';
    return { output: { kind: 'chat', text, finishReason, tokenIds }, usage: { promptTokens: 3, completionTokens: tokenIds.length } };
  }

  async embed({ task, signal }: EmbedRequest): Promise<EmbeddingsRun> {
    this.#maybeFail();
    this.#require(task.model);
    if (signal?.aborted) throw new TesseraError('task_cancelled', 'The run was cancelled.');
    return {
      output: { kind: 'embeddings', vectors: task.texts.map((text) => [text.length, 1, 0]) },
      usage: { promptTokens: task.texts.length * 2, completionTokens: 0 },
    };
  }

  async score({ task, tokenIds, signal }: ScoreRequest): Promise<ChatEvidence> {
    this.#maybeFail();
    this.#require(task.model);
    await new Promise((resolve) => setTimeout(resolve, this.stepMs));
    if (signal?.aborted) throw new TesseraError('task_cancelled', 'The check was cancelled.');
    const own = (id: number, index: number): boolean => id === index + 10 && index < this.deltas.length;
    return {
      kind: 'chat',
      scores: tokenIds.map((id, index) => (own(id, index) ? TOP : UNLIKELY)),
      decodedText: tokenIds.map((id, index) => (own(id, index) ? this.deltas[index] : '?')).join(''),
      endScore: tokenIds.length >= this.deltas.length ? TOP : UNLIKELY,
      promptTokens: 3,
    };
  }

  async unload(modelId: string): Promise<void> {
    this.unloaded.push(modelId);
    this.loaded.delete(modelId);
  }

  async listLoaded(): Promise<LoadedModel[]> {
    return [...this.loaded.values()];
  }

  #require(modelId: string): void {
    if (!this.loaded.has(modelId)) throw new TesseraError('model_load_failed', `${modelId} is not loaded in this tab.`);
  }

  #maybeFail(): void {
    const failure = this.failNext;
    this.failNext = null;
    if (failure !== null) throw failure;
  }
}
