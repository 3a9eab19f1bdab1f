import { TesseraError } from '@tessera/shared';
import type { ChatEvidence, EngineSettings, LoadedModel, TaskMessage } from '@tessera/shared';
import type { ChatCompletionMessageParam, MLCEngine } from '@mlc-ai/web-llm';
import type {
  ChatRun,
  EmbedRequest,
  EmbeddingsRun,
  GenerateRequest,
  InferenceEngine,
  LoadRequest,
  ScoreRequest,
} from './inference-engine.ts';
import { webLlmAppConfig } from './web-llm-app-config.ts';
import type { CacheBackend } from './web-llm-app-config.ts';

interface WebLlmModel {
  engine: MLCEngine;
  info: LoadedModel;
}

/**
 * The Cache API is the backend web-llm tests most; IndexedDB is the alternative when a browser evicts
 * Cache Storage too eagerly.
 */
const CACHE_BACKEND: CacheBackend = 'cache';

function toWebLlmMessages(messages: readonly TaskMessage[]): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: message.content };
      case 'user':
        return { role: 'user', content: message.content };
      case 'assistant':
        return { role: 'assistant', content: message.content };
      case 'tool':
        // The API offers web-llm models no tools, so a tool turn here is history from another model: text to it.
        return { role: 'user', content: message.content };
    }
  });
}

function failure(error: unknown, code: 'model_load_failed' | 'inference_failed', what: string): TesseraError {
  if (error instanceof TesseraError) return error;
  return new TesseraError(code, `${what}: ${error instanceof Error ? error.message : 'unknown failure'}`);
}

/**
 * web-llm (MLC, WebGPU only) engine, one `MLCEngine` per loaded model. Runs inside the engine Web
 * Worker; the library is imported on first use so pages that never load an MLC model never fetch it.
 *
 * web-llm's OpenAI-style API does not expose generated token ids, so its chat outputs carry none;
 * guards verify them by re-tokenizing the text.
 */
export class WebLlmEngine implements InferenceEngine {
  readonly #settings: EngineSettings;
  readonly #models = new Map<string, WebLlmModel>();

  constructor(settings: EngineSettings) {
    this.#settings = settings;
  }

  async load({ model: entry, backend, onProgress }: LoadRequest): Promise<LoadedModel> {
    const existing = this.#models.get(entry.id);
    if (existing !== undefined) return existing.info;
    if (backend !== 'webgpu') throw new TesseraError('model_load_failed', 'web-llm runs on WebGPU only.');
    const appConfig = webLlmAppConfig([entry], this.#settings, CACHE_BACKEND);
    const started = performance.now();
    try {
      const { CreateMLCEngine } = await import('@mlc-ai/web-llm');
      const engine = await CreateMLCEngine(entry.id, {
        appConfig,
        initProgressCallback: (report) => {
          onProgress?.({
            modelId: entry.id,
            loadedBytes: null,
            totalBytes: null,
            fraction: Math.min(1, Math.max(0, report.progress)),
            detail: report.text.slice(0, 500),
          });
        },
      });
      const info: LoadedModel = { modelId: entry.id, engine: 'web-llm', backend, loadMs: performance.now() - started };
      this.#models.set(entry.id, { engine, info });
      return info;
    } catch (error) {
      throw failure(error, 'model_load_failed', `Loading ${entry.id} with web-llm failed`);
    }
  }

  async generate({ task, onDelta, signal }: GenerateRequest): Promise<ChatRun> {
    const model = this.#model(task.model);
    if (signal?.aborted) throw new TesseraError('task_cancelled', 'The run was cancelled.');
    const interrupt = (): void => void model.engine.interruptGenerate();
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      const chunks = await model.engine.chat.completions.create({
        messages: toWebLlmMessages(task.messages),
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: task.params.maxTokens,
        temperature: task.params.temperature,
        top_p: task.params.topP,
        ...(task.params.seed === null ? {} : { seed: task.params.seed }),
        ...(task.params.stop.length > 0 ? { stop: task.params.stop } : {}),
      });
      let text = '';
      let finish: 'stop' | 'length' = 'stop';
      let usage = { promptTokens: 0, completionTokens: 0 };
      for await (const chunk of chunks) {
        const choice = chunk.choices[0];
        const delta = choice?.delta.content;
        if (delta) {
          text += delta;
          onDelta?.(delta);
        }
        if (choice?.finish_reason === 'length') finish = 'length';
        if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
      }
      if (signal?.aborted) throw new TesseraError('task_cancelled', 'The run was cancelled.');
      return { output: { kind: 'chat', text, finishReason: finish, tokenIds: [] }, usage };
    } catch (error) {
      throw failure(error, 'inference_failed', `web-llm generation on ${task.model} failed`);
    } finally {
      signal?.removeEventListener('abort', interrupt);
    }
  }

  async embed({ task, signal }: EmbedRequest): Promise<EmbeddingsRun> {
    const model = this.#model(task.model);
    if (signal?.aborted) throw new TesseraError('task_cancelled', 'The run was cancelled.');
    try {
      const response = await model.engine.embeddings.create({ input: task.texts });
      const vectors = [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
      return {
        output: { kind: 'embeddings', vectors },
        usage: { promptTokens: response.usage.prompt_tokens, completionTokens: 0 },
      };
    } catch (error) {
      throw failure(error, 'inference_failed', `web-llm embedding on ${task.model} failed`);
    }
  }

  /** web-llm's OpenAI-style API exposes neither token ids nor logits, so it cannot re-score a claim. */
  score({ task }: ScoreRequest): Promise<ChatEvidence> {
    return Promise.reject(
      new TesseraError(
        'model_kind_mismatch',
        `${task.model} runs on web-llm, which exposes no logits: guards check with transformers.js models only.`,
      ),
    );
  }

  async unload(modelId: string): Promise<void> {
    const model = this.#models.get(modelId);
    if (model === undefined) return;
    this.#models.delete(modelId);
    await model.engine.unload();
  }

  listLoaded(): Promise<LoadedModel[]> {
    return Promise.resolve([...this.#models.values()].map((model) => model.info));
  }

  #model(modelId: string): WebLlmModel {
    const model = this.#models.get(modelId);
    if (model === undefined) throw new TesseraError('model_load_failed', `${modelId} is not loaded in this tab.`);
    return model;
  }
}
