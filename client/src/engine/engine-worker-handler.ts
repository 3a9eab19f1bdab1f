import { TesseraError, assertNever, chatEvidenceSchema, engineRequestSchema, outputMatchesSpec, wireError } from '@tessera/shared';
import type { EngineReply, EngineRequest, EngineSettings } from '@tessera/shared';
import type { InferenceEngine } from './inference-engine.ts';
import type { MessageEndpoint } from './message-endpoint.ts';
import { toWireError } from './wire-error.ts';

/** Makes the engine once the page has said where files live (`engine:configure`). */
export type EngineFactory = (settings: EngineSettings) => InferenceEngine;

/** Progress events faster than this are dropped, except the last one of a load. */
const PROGRESS_INTERVAL_MS = 100;

function requestIdOf(data: unknown): number | null {
  if (typeof data !== 'object' || data === null || !('requestId' in data)) return null;
  const id = data.requestId;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

/**
 * The worker side of the engine messages: parses each request, runs it on the engine, and answers with
 * replies that are valid by construction (and parsed again by the proxy, which trusts nothing).
 */
export class EngineWorkerHandler {
  readonly #endpoint: MessageEndpoint;
  readonly #createEngine: EngineFactory;
  readonly #runs = new Map<number, AbortController>();
  #engine: InferenceEngine | null = null;

  constructor(endpoint: MessageEndpoint, createEngine: EngineFactory) {
    this.#endpoint = endpoint;
    this.#createEngine = createEngine;
  }

  start(): void {
    this.#endpoint.addEventListener('message', this.#onMessage);
  }

  stop(): void {
    this.#endpoint.removeEventListener('message', this.#onMessage);
    for (const run of this.#runs.values()) run.abort();
  }

  readonly #onMessage = (event: MessageEvent<unknown>): void => {
    const parsed = engineRequestSchema.safeParse(event.data);
    if (!parsed.success) {
      const requestId = requestIdOf(event.data);
      console.warn('engine worker: refused a malformed request', parsed.error.issues.slice(0, 3));
      if (requestId !== null) {
        this.#reply({ type: 'engine:failed', requestId, error: wireError('protocol_violation', 'Malformed engine request.') });
      }
      return;
    }
    void this.#handle(parsed.data);
  };

  async #handle(request: EngineRequest): Promise<void> {
    if (request.type === 'engine:cancel') {
      this.#runs.get(request.targetRequestId)?.abort();
      return;
    }
    try {
      this.#reply(await this.#answer(request));
    } catch (error) {
      this.#reply({ type: 'engine:failed', requestId: request.requestId, error: toWireError(error, fallbackCode(request)) });
    }
  }

  async #answer(request: Exclude<EngineRequest, { type: 'engine:cancel' }>): Promise<EngineReply> {
    const { requestId } = request;
    switch (request.type) {
      case 'engine:configure':
        if (this.#engine !== null) throw new TesseraError('protocol_violation', 'The engine worker is already configured.');
        this.#engine = this.#createEngine(request.settings);
        return { type: 'engine:configured', requestId };
      case 'engine:load': {
        let lastSentAt = -Infinity;
        const model = await this.#configured().load({
          model: request.model,
          backend: request.backend,
          onProgress: (progress) => {
            const now = performance.now();
            if (progress.fraction < 1 && now - lastSentAt < PROGRESS_INTERVAL_MS) return;
            lastSentAt = now;
            this.#reply({ type: 'engine:progress', requestId, progress });
          },
        });
        return { type: 'engine:loaded', requestId, model };
      }
      case 'engine:run':
        return this.#run(requestId, request.task);
      case 'engine:score':
        return this.#score(requestId, request.task, request.tokenIds);
      case 'engine:unload':
        await this.#configured().unload(request.modelId);
        return { type: 'engine:unloaded', requestId };
      case 'engine:list':
        return { type: 'engine:listed', requestId, models: await this.#configured().listLoaded() };
      default:
        return assertNever(request, 'engine request');
    }
  }

  async #run(requestId: number, task: Extract<EngineRequest, { type: 'engine:run' }>['task']): Promise<EngineReply> {
    const engine = this.#configured();
    const controller = new AbortController();
    this.#runs.set(requestId, controller);
    try {
      const run =
        task.kind === 'chat'
          ? await engine.generate({
              task,
              signal: controller.signal,
              onDelta: (delta) => this.#reply({ type: 'engine:delta', requestId, delta }),
            })
          : await engine.embed({ task, signal: controller.signal });
      if (!outputMatchesSpec(task, run.output))
        throw new TesseraError('inference_failed', 'The engine answered with output of the wrong kind.');
      return { type: 'engine:output', requestId, output: run.output, usage: run.usage };
    } finally {
      this.#runs.delete(requestId);
    }
  }

  async #score(
    requestId: number,
    task: Extract<EngineRequest, { type: 'engine:score' }>['task'],
    tokenIds: number[],
  ): Promise<EngineReply> {
    if (task.kind !== 'chat') throw new TesseraError('model_kind_mismatch', 'Only chat outputs are scored.');
    const engine = this.#configured();
    const controller = new AbortController();
    this.#runs.set(requestId, controller);
    try {
      // Checked here: a reply the proxy refuses to parse would leave the guard waiting forever.
      const evidence = chatEvidenceSchema.safeParse(await engine.score({ task, tokenIds, signal: controller.signal }));
      if (!evidence.success)
        throw new TesseraError(
          'inference_failed',
          `The engine produced invalid evidence: ${evidence.error.issues[0]?.message ?? 'unknown'}`,
        );
      return { type: 'engine:scored', requestId, evidence: evidence.data };
    } finally {
      this.#runs.delete(requestId);
    }
  }

  #configured(): InferenceEngine {
    if (this.#engine === null) throw new TesseraError('protocol_violation', 'Send engine:configure first.');
    return this.#engine;
  }

  #reply(reply: EngineReply): void {
    this.#endpoint.postMessage(reply);
  }
}

function fallbackCode(request: EngineRequest): 'model_load_failed' | 'inference_failed' | 'internal_error' {
  switch (request.type) {
    case 'engine:load':
      return 'model_load_failed';
    case 'engine:run':
    case 'engine:score':
      return 'inference_failed';
    case 'engine:configure':
    case 'engine:cancel':
    case 'engine:unload':
    case 'engine:list':
      return 'internal_error';
    default:
      return assertNever(request, 'engine request');
  }
}
