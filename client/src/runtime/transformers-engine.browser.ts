import {
  LogitsProcessor,
  LogitsProcessorList,
  StoppingCriteria,
  Tensor,
  TextStreamer,
  env,
  pipeline,
  random,
} from '@huggingface/transformers';
import type { FeatureExtractionPipeline, PreTrainedTokenizer, ProgressInfo, TextGenerationPipeline } from '@huggingface/transformers';
import { TesseraError, assertNever, formatPlainPrompt } from '@tessera/shared';
import type { EngineSettings, LoadedModel, ModelCatalogEntry, TaskMessage } from '@tessera/shared';
import { DownloadProgress } from './download-progress.ts';
import type { FileProgressEvent } from './download-progress.ts';
import { finishReason } from './finish-reason.ts';
import { GeneratedTextStream } from './generated-text-stream.ts';
import type { ChatRun, EmbedRequest, EmbeddingsRun, GenerateRequest, InferenceEngine, LoadRequest } from './inference-engine.ts';
import { isAllowedModelUrl, modelLocation } from './model-location.ts';
import type { ModelLocation } from './model-location.ts';
import { nucleusFilter } from './nucleus-filter.ts';
import { SerialQueue } from './serial-queue.ts';

/** The onnxruntime-web build transformers.js 4.3 loads for both the WASM and the WebGPU backends. */
export const ORT_WASM_FILES = { mjs: 'ort-wasm-simd-threaded.asyncify.mjs', wasm: 'ort-wasm-simd-threaded.asyncify.wasm' } as const;

interface TextGenerationModel {
  task: 'text-generation';
  entry: ModelCatalogEntry;
  info: LoadedModel;
  pipe: TextGenerationPipeline;
  eosTokenIds: ReadonlySet<number>;
}

interface EmbeddingModel {
  task: 'feature-extraction';
  entry: ModelCatalogEntry;
  info: LoadedModel;
  pipe: FeatureExtractionPipeline;
}

type LoadedTransformersModel = TextGenerationModel | EmbeddingModel;

/** Ends generation when a stop sequence matched or the run was cancelled (checked after each token). */
class FlagStoppingCriteria extends StoppingCriteria {
  readonly #shouldStop: () => boolean;

  constructor(shouldStop: () => boolean) {
    super();
    this.#shouldStop = shouldStop;
  }

  override _call(inputIds: number[][]): boolean[] {
    const stop = this.#shouldStop();
    return inputIds.map(() => stop);
  }
}

class NucleusLogitsProcessor extends LogitsProcessor {
  readonly #topP: number;

  constructor(topP: number) {
    super();
    this.#topP = topP;
  }

  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    const vocabSize = logits.dims.at(-1);
    if (logits.data instanceof Float32Array && vocabSize !== undefined) nucleusFilter(logits.data, vocabSize, this.#topP);
    return logits;
  }
}

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

/** The chat roles templates know: `developer` is OpenAI's newer name for `system`. */
function templateMessages(messages: readonly TaskMessage[]): { role: string; content: string }[] {
  return messages.map((message) => ({ role: message.role === 'developer' ? 'system' : message.role, content: message.content }));
}

function promptTokenIds(model: TextGenerationModel, messages: readonly TaskMessage[]): number[] {
  const tokenizer: PreTrainedTokenizer = model.pipe.tokenizer;
  const format = model.entry.promptFormat;
  switch (format) {
    case 'plain':
      return tokenizer.encode(formatPlainPrompt(messages));
    case 'chat-template': {
      const prompt = tokenizer.apply_chat_template(templateMessages(messages), { tokenize: false, add_generation_prompt: true });
      // The template already wrote any BOS token; adding special tokens again would double it.
      return tokenizer.encode(prompt, { add_special_tokens: false });
    }
    default:
      return assertNever(format, 'prompt format');
  }
}

function eosTokenIds(pipe: TextGenerationPipeline): Set<number> {
  const ids = new Set<number>();
  const add = (value: unknown): void => {
    if (typeof value === 'number') ids.add(value);
    else if (Array.isArray(value)) for (const item of value) add(item);
  };
  add(pipe.model.generation_config?.eos_token_id);
  add(pipe.tokenizer.eos_token_id);
  return ids;
}

/**
 * transformers.js (onnxruntime-web) engine: text generation and embeddings on the WASM or WebGPU
 * backend. Runs inside the engine Web Worker.
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
      wasm.wasmPaths = { mjs: new URL(ORT_WASM_FILES.mjs, settings.ortBaseUrl).href, wasm: new URL(ORT_WASM_FILES.wasm, settings.ortBaseUrl).href };
      wasm.proxy = false;
    }
    const baseFetch = globalThis.fetch.bind(globalThis);
    const ortOrigin = new URL(settings.ortBaseUrl).origin;
    env.fetch = (input: string | URL, init?: RequestInit): Promise<Response> => {
      const url = input instanceof URL ? input.href : input;
      const location = this.#currentLocation;
      if (location !== null && new URL(url, settings.ortBaseUrl).origin !== ortOrigin && !isAllowedModelUrl(location, url, settings.ortBaseUrl)) {
        return Promise.reject(new TesseraError('model_load_failed', `Refused to fetch ${url}: a mirrored model loads only from the coordinator.`));
      }
      return baseFetch(input, init);
    };
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
    if (entry.engine !== 'transformers') throw new TesseraError('model_load_failed', `${entry.id} runs on ${entry.engine}, not transformers.js.`);
    if (!entry.backends.includes(backend)) throw new TesseraError('model_load_failed', `${entry.id} does not run on the ${backend} backend.`);
    const dtype = entry.dtype[backend];
    if (dtype === undefined) throw new TesseraError('model_load_failed', `The catalog gives ${entry.id} no dtype for ${backend}.`);

    const location = modelLocation(entry, this.#settings);
    env.remoteHost = location.remoteHost;
    env.remotePathTemplate = location.remotePathTemplate;
    env.useBrowserCache = this.#settings.cacheModels && location.cacheInBrowser;
    this.#currentLocation = location;
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
          this.#models.set(entry.id, { task, entry, info: info(), pipe, eosTokenIds: eosTokenIds(pipe) });
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
    }
    onProgress?.(progress.complete());
    const loaded = this.#models.get(entry.id);
    if (loaded === undefined) throw new TesseraError('model_load_failed', `${entry.id} did not load.`);
    return loaded.info;
  }

  async generate({ task, onDelta, signal }: GenerateRequest): Promise<ChatRun> {
    const model = this.#models.get(task.model);
    if (model === undefined) throw new TesseraError('model_load_failed', `${task.model} is not loaded in this tab.`);
    if (model.task !== 'text-generation') throw new TesseraError('model_kind_mismatch', `${task.model} does not generate text.`);
    if (signal?.aborted) throw cancelled();

    const promptIds = promptTokenIds(model, task.messages);
    const room = model.entry.contextLength - promptIds.length;
    if (room < 1) {
      throw new TesseraError('invalid_request', `The prompt has ${promptIds.length} tokens; ${task.model} reads at most ${model.entry.contextLength}.`);
    }
    const maxNewTokens = Math.min(task.params.maxTokens, room);
    const tokenizer = model.pipe.tokenizer;
    const generated: number[] = [];
    const text = new GeneratedTextStream(task.params.stop);
    const onToken = (tokenId: number): void => {
      generated.push(tokenId);
      const { delta } = text.push(tokenizer.decode(generated, { skip_special_tokens: true }));
      if (delta) onDelta?.(delta);
    };

    const greedy = task.params.temperature === 0;
    const logitsProcessor = new LogitsProcessorList();
    if (!greedy && task.params.topP < 1) logitsProcessor.push(new NucleusLogitsProcessor(task.params.topP));
    // Sampling draws from transformers.js's global generator; seeding it makes a seeded request
    // repeatable when the tab runs one task at a time.
    if (!greedy) random.seed(task.params.seed ?? undefined);

    const length = promptIds.length;
    await model.pipe.model.generate({
      inputs: new Tensor('int64', BigInt64Array.from(promptIds, (id) => BigInt(id)), [1, length]),
      attention_mask: new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]),
      max_new_tokens: maxNewTokens,
      do_sample: !greedy,
      ...(greedy ? {} : { temperature: task.params.temperature, top_k: 0 }),
      repetition_penalty: 1,
      logits_processor: logitsProcessor,
      stopping_criteria: new FlagStoppingCriteria(() => text.stopped || signal?.aborted === true),
      // Only its token callback is used: the text is decoded in full after each token (see onToken),
      // which handles stop sequences and split characters; its own word-wise text goes nowhere.
      streamer: new TextStreamer(tokenizer, {
        skip_prompt: true,
        callback_function: () => undefined,
        token_callback_function: (tokens) => {
          for (const token of tokens) onToken(Number(token));
        },
      }),
    });
    if (signal?.aborted) throw cancelled();

    const { delta } = text.finish(tokenizer.decode(generated, { skip_special_tokens: true }));
    if (delta) onDelta?.(delta);
    const last = generated.at(-1);
    return {
      output: {
        kind: 'chat',
        text: text.text,
        finishReason: finishReason({
          generatedTokens: generated.length,
          maxNewTokens,
          stoppedBySequence: text.stopped,
          endedWithEos: last !== undefined && model.eosTokenIds.has(last),
        }),
        tokenIds: generated,
      },
      usage: { promptTokens: promptIds.length, completionTokens: generated.length },
    };
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
    await model.pipe.dispose();
  }

  listLoaded(): Promise<LoadedModel[]> {
    return Promise.resolve([...this.#models.values()].map((model) => model.info));
  }
}
