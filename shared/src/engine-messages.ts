import { z } from 'zod';
import { wireErrorSchema } from './error-codes.ts';
import { backendSchema, engineIdSchema, modelCatalogEntrySchema } from './model-catalog.ts';
import { CHAT_LIMITS } from './openai/chat-completion.ts';
import { taskOutputSchema, taskSpecSchema, taskUsageSchema } from './task.ts';
import { chatEvidenceSchema } from './verification/verify-messages.ts';

/**
 * The messages between a tab's main-thread `EngineProxy` and the Web Worker that runs the inference
 * engines (web-llm's engine / worker-handler split, without its `any` boundary). Both directions are
 * parsed with these schemas: a `postMessage` payload is outside data like a socket payload.
 *
 * Every request carries a `requestId` the page picks; every reply names the request it answers.
 * A run streams `engine:delta` messages before its single `engine:output` or `engine:failed`.
 * A guard's `engine:score` is answered by one `engine:scored` or `engine:failed`.
 */

export const engineRequestIdSchema = z.number().int().min(0);
export type EngineRequestId = z.infer<typeof engineRequestIdSchema>;

/** Where the worker finds its files; sent once, before any other request. */
export const engineSettingsSchema = z.strictObject({
  /** Origin of the coordinator that mirrors models under `/models/<id>/<file>`. */
  coordinatorOrigin: z.url(),
  /** Base URL of the Hugging Face hub (or an operator's mirror of it) for `source.kind === 'hub'` models. */
  hubUrl: z.url(),
  /** Folder URL holding onnxruntime-web's `ort-wasm-simd-threaded.asyncify.{mjs,wasm}`, ending in `/`. */
  ortBaseUrl: z.url(),
  /** Keep downloaded model files in the browser's Cache Storage, so a reload starts fast. */
  cacheModels: z.boolean(),
});
export type EngineSettings = z.infer<typeof engineSettingsSchema>;

/**
 * How far a model load got. Bytes when the engine counts them (transformers.js), otherwise only a
 * fraction and a text (web-llm reports progress as a fraction).
 */
export const loadProgressSchema = z.strictObject({
  modelId: z.string().min(1).max(200),
  loadedBytes: z.number().min(0).nullable(),
  totalBytes: z.number().min(0).nullable(),
  /** 0..1; 1 once every file is in memory and the session is being created. */
  fraction: z.number().min(0).max(1),
  /** The file being fetched or what the engine is doing, for the progress bar's caption. */
  detail: z.string().max(500),
});
export type LoadProgress = z.infer<typeof loadProgressSchema>;

/** A model in the worker's memory, ready to run. */
export const loadedModelSchema = z.strictObject({
  modelId: z.string().min(1).max(200),
  engine: engineIdSchema,
  backend: backendSchema,
  loadMs: z.number().min(0),
});
export type LoadedModel = z.infer<typeof loadedModelSchema>;

/** Page → worker. */
export const engineRequestSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('engine:configure'), requestId: engineRequestIdSchema, settings: engineSettingsSchema }),
  z.strictObject({
    type: z.literal('engine:load'),
    requestId: engineRequestIdSchema,
    /** The whole catalog entry, so operator catalogs (`--catalog`) need no change in the worker. */
    model: modelCatalogEntrySchema,
    backend: backendSchema,
  }),
  /** Runs a chat (streams deltas) or an embeddings task on a loaded model. */
  z.strictObject({ type: z.literal('engine:run'), requestId: engineRequestIdSchema, task: taskSpecSchema }),
  /**
   * Guards: re-scores claimed chat tokens in one forward pass over prompt + `tokenIds` (no generation).
   * The prompt is built exactly as generation builds it. Only chat tasks can be scored.
   */
  z.strictObject({
    type: z.literal('engine:score'),
    requestId: engineRequestIdSchema,
    task: taskSpecSchema.refine((task) => task.kind === 'chat', 'only chat tasks are scored'),
    tokenIds: z.array(z.number().int().min(0)).max(CHAT_LIMITS.maxTokens),
  }),
  /** Stops the run or score `targetRequestId`; it then fails with `task_cancelled`. Has no reply of its own. */
  z.strictObject({ type: z.literal('engine:cancel'), targetRequestId: engineRequestIdSchema }),
  z.strictObject({ type: z.literal('engine:unload'), requestId: engineRequestIdSchema, modelId: z.string().min(1).max(200) }),
  z.strictObject({ type: z.literal('engine:list'), requestId: engineRequestIdSchema }),
]);
export type EngineRequest = z.infer<typeof engineRequestSchema>;
export type EngineRequestType = EngineRequest['type'];

/** Worker → page. */
export const engineReplySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('engine:configured'), requestId: engineRequestIdSchema }),
  z.strictObject({ type: z.literal('engine:progress'), requestId: engineRequestIdSchema, progress: loadProgressSchema }),
  z.strictObject({ type: z.literal('engine:loaded'), requestId: engineRequestIdSchema, model: loadedModelSchema }),
  /** A piece of generated text, in order; the concatenation is the run's output text. */
  z.strictObject({ type: z.literal('engine:delta'), requestId: engineRequestIdSchema, delta: z.string().min(1).max(65_536) }),
  z.strictObject({ type: z.literal('engine:output'), requestId: engineRequestIdSchema, output: taskOutputSchema, usage: taskUsageSchema }),
  /** The guard's evidence for an `engine:score`: one score per claimed token, the end score, the decoding. */
  z.strictObject({ type: z.literal('engine:scored'), requestId: engineRequestIdSchema, evidence: chatEvidenceSchema }),
  z.strictObject({ type: z.literal('engine:unloaded'), requestId: engineRequestIdSchema }),
  z.strictObject({ type: z.literal('engine:listed'), requestId: engineRequestIdSchema, models: z.array(loadedModelSchema).max(64) }),
  /** The request failed; errors cross as registry codes, never as `String(err)`. */
  z.strictObject({ type: z.literal('engine:failed'), requestId: engineRequestIdSchema, error: wireErrorSchema }),
]);
export type EngineReply = z.infer<typeof engineReplySchema>;
export type EngineReplyType = EngineReply['type'];
