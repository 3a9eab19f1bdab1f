import { TesseraError, assertNever, engineReplySchema, outputMatchesSpec } from '@tessera/shared';
import type { ChatEvidence, EngineReply, EngineRequest, EngineSettings, LoadedModel, LoadProgress, WireError } from '@tessera/shared';
import type {
  ChatRun,
  EmbedRequest,
  EmbeddingsRun,
  GenerateRequest,
  InferenceEngine,
  LoadRequest,
  ScoreRequest,
} from '../engine/inference-engine.ts';
import type { MessageEndpoint } from '../engine/message-endpoint.ts';
import { fromWireError } from '../engine/wire-error.ts';

/** The reply that ends a request (anything but progress and deltas). */
type FinalReply = Exclude<EngineReply, { type: 'engine:progress' | 'engine:delta' }>;

interface Pending {
  onProgress?: (progress: LoadProgress) => void;
  onDelta?: (delta: string) => void;
  resolve: (reply: FinalReply) => void;
  reject: (error: TesseraError) => void;
}

function unexpected(reply: FinalReply, wanted: string): TesseraError {
  return new TesseraError('protocol_violation', `The engine worker answered ${reply.type} where ${wanted} was due.`);
}

/**
 * The main-thread side of the engine Web Worker: implements `InferenceEngine` by posting requests and
 * parsing every reply, so pages use the engines as if they ran here. Errors arrive as registry codes
 * and are rethrown as `TesseraError`s with the same code.
 */
export class EngineProxy implements InferenceEngine {
  readonly #endpoint: MessageEndpoint;
  readonly #pending = new Map<number, Pending>();
  #nextRequestId = 0;
  #failure: TesseraError | null = null;

  constructor(endpoint: MessageEndpoint) {
    this.#endpoint = endpoint;
    endpoint.addEventListener('message', this.#onMessage);
  }

  /** Tells the worker where files live; call once, before anything else. */
  async configure(settings: EngineSettings): Promise<void> {
    const reply = await this.#call((requestId) => ({ type: 'engine:configure', requestId, settings }), {});
    if (reply.type !== 'engine:configured') throw unexpected(reply, 'engine:configured');
  }

  async load({ model, backend, onProgress }: LoadRequest): Promise<LoadedModel> {
    const reply = await this.#call((requestId) => ({ type: 'engine:load', requestId, model, backend }), onProgress ? { onProgress } : {});
    if (reply.type !== 'engine:loaded') throw unexpected(reply, 'engine:loaded');
    return reply.model;
  }

  async generate({ task, onDelta, signal }: GenerateRequest): Promise<ChatRun> {
    const reply = await this.#call((requestId) => ({ type: 'engine:run', requestId, task }), onDelta ? { onDelta } : {}, signal);
    if (reply.type !== 'engine:output') throw unexpected(reply, 'engine:output');
    if (reply.output.kind !== 'chat' || !outputMatchesSpec(task, reply.output)) throw unexpected(reply, 'a chat output');
    return { output: reply.output, usage: reply.usage };
  }

  async embed({ task, signal }: EmbedRequest): Promise<EmbeddingsRun> {
    const reply = await this.#call((requestId) => ({ type: 'engine:run', requestId, task }), {}, signal);
    if (reply.type !== 'engine:output') throw unexpected(reply, 'engine:output');
    if (reply.output.kind !== 'embeddings' || !outputMatchesSpec(task, reply.output)) throw unexpected(reply, 'an embeddings output');
    return { output: reply.output, usage: reply.usage };
  }

  async score({ task, tokenIds, signal }: ScoreRequest): Promise<ChatEvidence> {
    const reply = await this.#call((requestId) => ({ type: 'engine:score', requestId, task, tokenIds: [...tokenIds] }), {}, signal);
    if (reply.type !== 'engine:scored') throw unexpected(reply, 'engine:scored');
    return reply.evidence;
  }

  async unload(modelId: string): Promise<void> {
    const reply = await this.#call((requestId) => ({ type: 'engine:unload', requestId, modelId }), {});
    if (reply.type !== 'engine:unloaded') throw unexpected(reply, 'engine:unloaded');
  }

  async listLoaded(): Promise<LoadedModel[]> {
    const reply = await this.#call((requestId) => ({ type: 'engine:list', requestId }), {});
    if (reply.type !== 'engine:listed') throw unexpected(reply, 'engine:listed');
    return reply.models;
  }

  /**
   * The worker died (a script error, out of memory): every pending and later call fails with `error`.
   * Wired to the `Worker`'s `error` event by the code that starts the worker.
   */
  fail(error: WireError): void {
    this.#failure = fromWireError(error);
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }

  dispose(): void {
    this.#endpoint.removeEventListener('message', this.#onMessage);
    this.fail({ code: 'internal_error', message: 'The engine was shut down.', retryable: true });
  }

  #call(
    build: (requestId: number) => Exclude<EngineRequest, { type: 'engine:cancel' }>,
    handlers: Pick<Pending, 'onProgress' | 'onDelta'>,
    signal?: AbortSignal,
  ): Promise<FinalReply> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (signal?.aborted) return Promise.reject(new TesseraError('task_cancelled', 'The run was cancelled.'));
    const requestId = this.#nextRequestId++;
    return new Promise<FinalReply>((resolve, reject) => {
      const cancel = (): void => this.#endpoint.postMessage({ type: 'engine:cancel', targetRequestId: requestId } satisfies EngineRequest);
      signal?.addEventListener('abort', cancel, { once: true });
      this.#pending.set(requestId, {
        ...handlers,
        resolve: (reply) => {
          signal?.removeEventListener('abort', cancel);
          resolve(reply);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', cancel);
          reject(error);
        },
      });
      this.#endpoint.postMessage(build(requestId));
    });
  }

  readonly #onMessage = (event: MessageEvent<unknown>): void => {
    const parsed = engineReplySchema.safeParse(event.data);
    if (!parsed.success) {
      console.warn('engine proxy: ignored a malformed reply from the worker', parsed.error.issues.slice(0, 3));
      return;
    }
    const reply = parsed.data;
    const pending = this.#pending.get(reply.requestId);
    if (pending === undefined) return;
    switch (reply.type) {
      case 'engine:progress':
        pending.onProgress?.(reply.progress);
        return;
      case 'engine:delta':
        pending.onDelta?.(reply.delta);
        return;
      case 'engine:failed':
        this.#pending.delete(reply.requestId);
        pending.reject(fromWireError(reply.error));
        return;
      case 'engine:configured':
      case 'engine:loaded':
      case 'engine:output':
      case 'engine:scored':
      case 'engine:unloaded':
      case 'engine:listed':
        this.#pending.delete(reply.requestId);
        pending.resolve(reply);
        return;
      default:
        assertNever(reply, 'engine reply');
    }
  };
}
