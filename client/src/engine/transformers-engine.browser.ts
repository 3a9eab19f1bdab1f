import { Tensor, env, pipeline } from '@huggingface/transformers';
import type { FeatureExtractionPipeline, ProgressInfo } from '@huggingface/transformers';
import { TesseraError, assertNever } from '@tessera/shared';
import type { ChatEvidence, EngineSettings, LoadedModel, ModelCatalogEntry } from '@tessera/shared';
import { causalLm } from './causal-lm.ts';
import type { CausalLm } from './causal-lm.ts';
import { generateChat } from './chat-generation.ts';
import { scoreChat } from './chat-scoring.ts';
import { DownloadProgress } from './download-progress.ts';
import type { FileProgressEvent } from './download-progress.ts';
import type {
  ChatRun,
  EmbedRequest,
  EmbeddingsRun,
  GenerateRequest,
  InferenceEngine,
  LoadRequest,
  ScoreRequest,
} from './inference-engine.ts';
import { isAllowedModelUrl, modelFileUrl, modelLocation } from './model-location.ts';
import { CacheModelFileStore } from '../model-files/model-file-store.browser.ts';
import { catalogFile, type ModelFileStore } from '../model-files/model-file-store.ts';
import type { ModelLocation } from './model-location.ts';
import { SerialQueue } from './serial-queue.ts';

/** The onnxruntime-web build transformers.js 4.3 loads for both the WASM and the WebGPU backends. */
export const ORT_WASM_FILES = { mjs: 'ort-wasm-simd-threaded.asyncify.mjs', wasm: 'ort-wasm-simd-threaded.asyncify.wasm' } as const;

interface TextGenerationModel {
  task: 'text-generation';
  entry: ModelCatalogEntry;
  info: LoadedModel;
  lm: CausalLm;
}

interface EmbeddingModel {
  task: 'feature-extraction';
  entry: ModelCatalogEntry;
  info: LoadedModel;
  pipe: FeatureExtractionPipeline;
}

type LoadedTransformersModel = TextGenerationModel | EmbeddingModel;

function cancelled(): TesseraError {
  return new TesseraError('task_cancelled', 'The run was cancelled.');
}

function toFileProgressEvent(info: ProgressInfo): FileProgressEvent {
  switch (info.status) {
    case 'initiate':
    case 'download':
    case 'done':
      return { status: info.status, file: info.file };
    case 'progress':
      return { status: 'progress', file: info.file, loaded: info.loaded, total: info.total };
    case 'progress_total':
      return { status: 'progress_total', loaded: info.loaded, total: info.total };
    case 'ready':
      return { status: 'ready' };
    default:
      return assertNever(info, 'transformers.js progress event');
  }
}

/**
 * transformers.js (onnxruntime-web) engine: text generation, one-pass scoring of claimed tokens (guards)
 * and embeddings on the WASM or WebGPU backend. Runs inside the engine Web Worker. Generation and
 * scoring live in `chat-generation.ts` and `chat-scoring.ts`, which also run in Node for tests.
 *
 * transformers.js keeps its file locations in a global `env`, so loads run one at a time, each with the
 * location of its own model; a fetch guard refuses any request a mirrored model's load makes outside
 * the coordinator.
 */
export class TransformersEngine implements InferenceEngine {
  readonly #settings: EngineSettings;
  readonly #models = new Map<string, LoadedTransformersModel>();
  readonly #loads = new SerialQueue();
  #currentLocation: ModelLocation | null = null;
  #currentEntry: ModelCatalogEntry | null = null;
  /** Files the page already put here (from peers or HTTP, sha256-checked): read before the network. */
  readonly #store: ModelFileStore | null = CacheModelFileStore.available() ? new CacheModelFileStore() : null;

  constructor(settings: EngineSettings) {
    this.#settings = settings;
    env.allowLocalModels = false;
    env.allowRemoteModels = true;
    // Its Cache Storage copy of the ORT binary would outlive an upgrade (same URL, new glue code);
    // the HTTP cache revalidates it instead.
    env.useWasmCache = false;
    const wasm = env.backends.onnx.wasm;
    if (wasm !== undefined) {
      // Served by the coordinator from the build (dist/ort/): nothing is fetched from a CDN.
      wasm.wasmPaths = {
        mjs: new URL(ORT_WASM_FILES.mjs, settings.ortBaseUrl).href,
        wasm: new URL(ORT_WASM_FILES.wasm, settings.ortBaseUrl).href,
      };
      wasm.proxy = false;
    }
    const baseFetch = globalThis.fetch.bind(globalThis);
    const ortOrigin = new URL(settings.ortBaseUrl).origin;
    env.fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
      const url = input instanceof URL ? input.href : input;
      const location = this.#currentLocation;
      if (
        location !== null &&
        new URL(url, settings.ortBaseUrl).origin !== ortOrigin &&
        !isAllowedModelUrl(location, url, settings.ortBaseUrl)
      ) {
        throw new TesseraError('model_load_failed', `Refused to fetch ${url}: a mirrored model loads only from the coordinator.`);
      }
      return (await this.#fromStore(url)) ?? baseFetch(input, init);
    };
  }

  /** A catalog file of the model being loaded, from the store, if it is there whole. */
  async #fromStore(url: string): Promise<Response | null> {
    const entry = this.#currentEntry;
    const location = this.#currentLocation;
    if (this.#store === null || entry === null || location === null) return null;
    const prefix = modelFileUrl(location, '');
    if (!url.startsWith(prefix)) return null;
    const file = catalogFile(entry, url.slice(prefix.length));
    if (file === undefined) return null;
    const blob = await this.#store.get(file.sha256).catch(() => undefined);
    if (blob === undefined || blob.size !== file.bytes) return null;
    return new Response(blob, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) } });
  }

  load(request: LoadRequest): Promise<LoadedModel> {
    return this.#loads.run(() => this.#load(request));
  }

  async #load({ model: entry, backend, onProgress }: LoadRequest): Promise<LoadedModel> {
    const existing = this.#models.get(entry.id);
    if (existing !== undefined) {
      if (existing.info.backend === backend) return existing.info;
      await this.#unload(entry.id);
    }
    if (entry.engine !== 'transformers')
      throw new TesseraError('model_load_failed', `${entry.id} runs on ${entry.engine}, not transformers.js.`);
    if (!entry.backends.includes(backend))
      throw new TesseraError('model_load_failed', `${entry.id} does not run on the ${backend} backend.`);
    const dtype = entry.dtype[backend];
    if (dtype === undefined) throw new TesseraError('model_load_failed', `The catalog gives ${entry.id} no dtype for ${backend}.`);

    const location = modelLocation(entry, this.#settings);
    env.remoteHost = location.remoteHost;
    env.remotePathTemplate = location.remotePathTemplate;
    env.useBrowserCache = this.#settings.cacheModels && location.cacheInBrowser;
    this.#currentLocation = location;
    this.#currentEntry = entry;
    const progress = new DownloadProgress(entry.id, entry.downloadBytes);
    const progressCallback = (info: ProgressInfo): void => onProgress?.(progress.update(toFileProgressEvent(info)));
    const options = { revision: location.revision, device: backend, dtype, progress_callback: progressCallback };
    const started = performance.now();
    try {
      const info = (): LoadedModel => ({ modelId: entry.id, engine: 'transformers', backend, loadMs: performance.now() - started });
      const task = entry.task;
      switch (task) {
        case 'text-generation': {
          const pipe = await pipeline('text-generation', location.repo, options);
          this.#models.set(entry.id, { task, entry, info: info(), lm: causalLm(entry, pipe) });
          break;
        }
        case 'feature-extraction': {
          const pipe = await pipeline('feature-extraction', location.repo, options);
          this.#models.set(entry.id, { task, entry, info: info(), pipe });
          break;
        }
        default:
          assertNever(task, 'model task');
      }
    } catch (error) {
      if (error instanceof TesseraError) throw error;
      const reason = error instanceof Error ? error.message : 'unknown failure';
      throw new TesseraError('model_load_failed', `Loading ${entry.id} on ${backend} failed: ${reason}`);
    } finally {
      this.#currentLocation = null;
      this.#currentEntry = null;
    }
    onProgress?.(progress.complete());
    const loaded = this.#models.get(entry.id);
    if (loaded === undefined) throw new TesseraError('model_load_failed', `${entry.id} did not load.`);
    return loaded.info;
  }

  async generate(request: GenerateRequest): Promise<ChatRun> {
    return generateChat(this.#causalLm(request.task.model), request);
  }

  async score(request: ScoreRequest): Promise<ChatEvidence> {
    return scoreChat(this.#causalLm(request.task.model), request);
  }

  async embed({ task, signal }: EmbedRequest): Promise<EmbeddingsRun> {
    const model = this.#models.get(task.model);
    if (model === undefined) throw new TesseraError('model_load_failed', `${task.model} is not loaded in this tab.`);
    if (model.task !== 'feature-extraction') throw new TesseraError('model_kind_mismatch', `${task.model} does not embed text.`);
    if (signal?.aborted) throw cancelled();
    const output: unknown = await model.pipe(task.texts, { pooling: 'mean', normalize: true });
    if (signal?.aborted) throw cancelled();
    if (!(output instanceof Tensor)) throw new TesseraError('inference_failed', 'The embedding pipeline returned no tensor.');
    const [rows, dimensions] = output.dims;
    if (rows !== task.texts.length || dimensions === undefined || !(output.data instanceof Float32Array)) {
      throw new TesseraError('inference_failed', `Unexpected embedding shape [${output.dims.join(', ')}].`);
    }
    const data = output.data;
    const vectors = Array.from({ length: rows }, (_, row) => Array.from(data.subarray(row * dimensions, (row + 1) * dimensions)));
    const promptTokens = task.texts.reduce((total, text) => total + model.pipe.tokenizer.encode(text).length, 0);
    return { output: { kind: 'embeddings', vectors }, usage: { promptTokens, completionTokens: 0 } };
  }

  unload(modelId: string): Promise<void> {
    return this.#loads.run(() => this.#unload(modelId));
  }

  async #unload(modelId: string): Promise<void> {
    const model = this.#models.get(modelId);
    if (model === undefined) return;
    this.#models.delete(modelId);
    await (model.task === 'text-generation' ? model.lm.pipe : model.pipe).dispose();
  }

  listLoaded(): Promise<LoadedModel[]> {
    return Promise.resolve([...this.#models.values()].map((model) => model.info));
  }

  #causalLm(modelId: string): CausalLm {
    const model = this.#models.get(modelId);
    if (model === undefined) throw new TesseraError('model_load_failed', `${modelId} is not loaded in this tab.`);
    if (model.task !== 'text-generation') throw new TesseraError('model_kind_mismatch', `${modelId} does not generate text.`);
    return model.lm;
  }
}
