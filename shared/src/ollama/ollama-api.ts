import { z } from 'zod';
import { CHAT_LIMITS } from '../openai/chat-completion.ts';
import { EMBEDDING_LIMITS } from '../openai/embedding.ts';
import { tesseraExtensionSchema } from '../openai/tessera-extension.ts';
import { TOOL_LIMITS, jsonSchemaObjectSchema, toolNameSchema } from '../tools/tool-schemas.ts';

// Ollama's native API (https://github.com/ollama/ollama/blob/main/docs/api.md), the subset a text model on a
// tab can serve. As on the OpenAI routes, unknown fields are ignored and known ones that cannot be honoured
// (images, a raw template, a token context, tools for a model without a tool format) are refused with
// `unsupported_parameter`.

/** `options`: the model parameters Ollama takes per request; the ones a task has are used, others ignored. */
export const ollamaOptionsSchema = z.object({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  seed: z.number().int().optional(),
  // Ollama's -1 (infinite) and -2 (fill the context) mean "as many as allowed" here.
  num_predict: z.number().int().min(-2).max(CHAT_LIMITS.maxTokens).optional(),
  stop: z.array(z.string().min(1)).max(CHAT_LIMITS.maxStopSequences).optional(),
});

/** Tool arguments as Ollama carries them: a JSON object, never its text. */
const ollamaToolArgumentsSchema = z
  .record(z.string(), z.unknown())
  .refine((value) => JSON.stringify(value).length <= TOOL_LIMITS.maxArgumentsChars, {
    message: `tool arguments are at most ${TOOL_LIMITS.maxArgumentsChars} characters of JSON`,
  });

/**
 * A tool call, in an assistant message of the history and in an answer. Ollama's ids are optional (older
 * servers send none), and `index` is the call's place in its message.
 */
export const ollamaToolCallSchema = z.object({
  id: z.string().min(1).max(128).optional(),
  function: z.object({
    index: z.number().int().min(0).optional(),
    name: toolNameSchema,
    arguments: ollamaToolArgumentsSchema,
  }),
});
export type OllamaToolCall = z.infer<typeof ollamaToolCallSchema>;

/** A tool the model may call, as `/api/chat` takes it (OpenAI's shape; Ollama has no `tool_choice`). */
export const ollamaToolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: toolNameSchema,
    description: z.string().max(4_000).optional(),
    parameters: jsonSchemaObjectSchema.optional(),
  }),
});

export const ollamaMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().max(CHAT_LIMITS.maxContentChars),
  images: z.array(z.string()).optional(),
  /** An assistant turn's calls. */
  tool_calls: z.array(ollamaToolCallSchema).max(TOOL_LIMITS.maxTools).optional(),
  /** A tool turn's answer names the tool it ran, and (newer clients) the call's id. */
  tool_name: toolNameSchema.optional(),
  tool_call_id: z.string().min(1).max(128).optional(),
});

/** `format`: `"json"` (any JSON) or a JSON schema the answer must follow, by constrained decoding in the tab. */
export const ollamaFormatSchema = z.union([z.literal(''), z.literal('json'), jsonSchemaObjectSchema]);

/** Fields chat and generate share; `think` is refused unless false (no model here thinks aloud). */
const ollamaCommonFields = {
  format: ollamaFormatSchema.optional(),
  keep_alive: z.union([z.string(), z.number()]).optional(),
  think: z.unknown().optional(),
};

export const ollamaChatRequestSchema = z.object({
  model: z.string().min(1).max(200),
  messages: z.array(ollamaMessageSchema).min(1).max(CHAT_LIMITS.maxMessages),
  /** Ollama streams unless told `false`. */
  stream: z.boolean().optional(),
  options: ollamaOptionsSchema.optional(),
  tools: z.array(ollamaToolSchema).max(TOOL_LIMITS.maxTools).optional(),
  ...ollamaCommonFields,
});
export type OllamaChatRequest = z.infer<typeof ollamaChatRequestSchema>;

export const ollamaGenerateRequestSchema = z.object({
  model: z.string().min(1).max(200),
  prompt: z.string().min(1).max(CHAT_LIMITS.maxContentChars),
  system: z.string().max(CHAT_LIMITS.maxContentChars).optional(),
  suffix: z.string().optional(),
  template: z.string().optional(),
  raw: z.boolean().optional(),
  images: z.array(z.string()).optional(),
  context: z.array(z.number()).optional(),
  stream: z.boolean().optional(),
  options: ollamaOptionsSchema.optional(),
  /** Ollama's generate takes no tools: any sent are refused, pointing to `/api/chat`. */
  tools: z.array(z.unknown()).optional(),
  ...ollamaCommonFields,
});
export type OllamaGenerateRequest = z.infer<typeof ollamaGenerateRequestSchema>;

export const ollamaEmbedRequestSchema = z.object({
  model: z.string().min(1).max(200),
  input: z.union([
    z.string().min(1).max(EMBEDDING_LIMITS.maxInputChars),
    z.array(z.string().min(1).max(EMBEDDING_LIMITS.maxInputChars)).min(1).max(EMBEDDING_LIMITS.maxInputs),
  ]),
  truncate: z.boolean().optional(),
  dimensions: z.number().int().min(1).optional(),
  options: z.object({}).optional(),
  keep_alive: z.union([z.string(), z.number()]).optional(),
});
export type OllamaEmbedRequest = z.infer<typeof ollamaEmbedRequestSchema>;

/** What every answer of a generation ends with: the counts and, in nanoseconds, the times. */
const ollamaFinalFields = {
  done_reason: z.enum(['stop', 'length']).optional(),
  total_duration: z.number().int().optional(),
  load_duration: z.number().int().optional(),
  prompt_eval_count: z.number().int().optional(),
  prompt_eval_duration: z.number().int().optional(),
  eval_count: z.number().int().optional(),
  eval_duration: z.number().int().optional(),
  /** Tessera's extension on the last object: how far the answer was verified. */
  tessera: tesseraExtensionSchema.optional(),
};

/** One object of `/api/chat`: a streamed piece (`done: false`) or the last, or the whole answer. */
export const ollamaChatResponseSchema = z.object({
  model: z.string(),
  created_at: z.string(),
  /** `content` is the text outside tool calls ('' when the answer is calls only); the calls come in one piece. */
  message: z.object({
    role: z.literal('assistant'),
    content: z.string(),
    tool_calls: z.array(ollamaToolCallSchema).optional(),
  }),
  done: z.boolean(),
  ...ollamaFinalFields,
});
export type OllamaChatResponse = z.infer<typeof ollamaChatResponseSchema>;

export const ollamaGenerateResponseSchema = z.object({
  model: z.string(),
  created_at: z.string(),
  response: z.string(),
  done: z.boolean(),
  ...ollamaFinalFields,
});
export type OllamaGenerateResponse = z.infer<typeof ollamaGenerateResponseSchema>;

export const ollamaEmbedResponseSchema = z.object({
  model: z.string(),
  embeddings: z.array(z.array(z.number())),
  total_duration: z.number().int().optional(),
  load_duration: z.number().int().optional(),
  prompt_eval_count: z.number().int().optional(),
});
export type OllamaEmbedResponse = z.infer<typeof ollamaEmbedResponseSchema>;

/** `details` of `/api/tags` and `/api/show`: what the catalog knows of the model's files. */
export const ollamaModelDetailsSchema = z.object({
  parent_model: z.string(),
  format: z.string(),
  family: z.string(),
  families: z.array(z.string()).nullable(),
  parameter_size: z.string(),
  quantization_level: z.string(),
});
export type OllamaModelDetails = z.infer<typeof ollamaModelDetailsSchema>;

export const ollamaModelSchema = z.object({
  name: z.string(),
  model: z.string(),
  modified_at: z.string(),
  size: z.number().int(),
  digest: z.string(),
  details: ollamaModelDetailsSchema,
});

/** `GET /api/tags`: the catalog's models that a connected tab serves now. */
export const ollamaTagsResponseSchema = z.object({ models: z.array(ollamaModelSchema) });
export type OllamaTagsResponse = z.infer<typeof ollamaTagsResponseSchema>;

/** Ollama's error shape: `{ error: "message" }`, also the last line of a stream that failed. */
export const ollamaErrorBodySchema = z.object({ error: z.string() });
export type OllamaErrorBody = z.infer<typeof ollamaErrorBodySchema>;

export function ollamaErrorBody(_code: string, message: string, param: string | null = null): OllamaErrorBody {
  return { error: param === null ? message : `${message} (${param})` };
}
