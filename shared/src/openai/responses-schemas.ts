import { z } from 'zod';
import { CHAT_LIMITS } from './chat-completion.ts';
import { tesseraExtensionSchema } from './tessera-extension.ts';
import { jsonSchemaObjectSchema, TOOL_LIMITS, toolNameSchema } from '../tools/tool-schemas.ts';

// OpenAI's Responses API (`POST /v1/responses`), the subset a stateless text model can serve: text input,
// instructions, sampling, streaming, function tools and structured output (`text.format`), and
// `previous_response_id` (the coordinator keeps each response's conversation). Built-in tools, images and
// files parse here so that the mapping can refuse them with `unsupported_parameter` naming the field.

const TEXT = z.string().max(CHAT_LIMITS.maxContentChars);
const TEXT_PART_TYPES = ['input_text', 'output_text'];

const responseTextPartSchema = z.object({ type: z.enum(['input_text', 'output_text']), text: TEXT });
/** Any other content part (`input_image`, `input_file`, `refusal`…): refused by the mapping. */
const responseOtherPartSchema = z.object({ type: z.string().min(1).max(64) }).refine((part) => !TEXT_PART_TYPES.includes(part.type));

export const responseInputMessageSchema = z.object({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([
    TEXT,
    z
      .array(z.union([responseTextPartSchema, responseOtherPartSchema]))
      .min(1)
      .max(CHAT_LIMITS.maxMessages),
  ]),
});
/** A tool call the model made earlier, sent back as history. */
export const responseFunctionCallInputSchema = z.object({
  type: z.literal('function_call'),
  call_id: z.string().min(1).max(128),
  name: toolNameSchema,
  arguments: z.string().max(TOOL_LIMITS.maxArgumentsChars),
  id: z.string().max(200).optional(),
  status: z.string().max(32).optional(),
});

/** The caller's result of a tool call. */
export const responseFunctionCallOutputSchema = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1).max(128),
  output: z.union([
    TEXT,
    z
      .array(responseTextPartSchema.or(z.object({ type: z.literal('input_text'), text: TEXT })))
      .min(1)
      .max(64),
  ]),
  id: z.string().max(200).optional(),
});

const KNOWN_ITEM_TYPES = ['message', 'function_call', 'function_call_output'];
/** Any other input item (`item_reference`, built-in tool calls…): refused by the mapping. */
const responseOtherItemSchema = z.object({ type: z.string().min(1).max(64) }).refine((item) => !KNOWN_ITEM_TYPES.includes(item.type));

export const responseFunctionToolSchema = z.object({
  type: z.literal('function'),
  name: toolNameSchema,
  description: z.string().max(4_000).nullish(),
  parameters: jsonSchemaObjectSchema.nullish(),
  strict: z.boolean().nullish(),
});
/** Built-in tools (`web_search`, `file_search`…): refused by the mapping. */
const responseOtherToolSchema = z.object({ type: z.string().min(1).max(64) }).refine((tool) => tool.type !== 'function');

export const responseToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), name: toolNameSchema }),
]);

export const responseTextFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
    schema: jsonSchemaObjectSchema,
    description: z.string().max(4_000).nullish(),
    strict: z.boolean().nullish(),
  }),
]);

export const responseRequestSchema = z.object({
  model: z.string().min(1).max(200),
  input: z.union([
    TEXT.min(1),
    z
      .array(
        z.union([responseInputMessageSchema, responseFunctionCallInputSchema, responseFunctionCallOutputSchema, responseOtherItemSchema]),
      )
      .min(1)
      .max(CHAT_LIMITS.maxMessages),
  ]),
  instructions: TEXT.nullish(),
  max_output_tokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  stream: z.boolean().nullish(),
  previous_response_id: z.string().min(1).max(200).nullish(),
  /** Whether the coordinator keeps the conversation for a `previous_response_id` (default true, as OpenAI). */
  store: z.boolean().nullish(),
  tools: z
    .array(z.union([responseFunctionToolSchema, responseOtherToolSchema]))
    .max(TOOL_LIMITS.maxTools)
    .nullish(),
  tool_choice: z.union([responseToolChoiceSchema, z.object({ type: z.string().max(64) })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.object({ format: responseTextFormatSchema.optional() }).nullish(),
  background: z.boolean().nullish(),
  conversation: z.unknown().optional(),
  prompt: z.unknown().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().max(256).optional(),
});
export type ResponseRequest = z.infer<typeof responseRequestSchema>;

export const responseOutputTextSchema = z.object({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.never()),
});

export const responseOutputMessageSchema = z.object({
  type: z.literal('message'),
  id: z.string(),
  status: z.enum(['in_progress', 'completed', 'incomplete']),
  role: z.literal('assistant'),
  content: z.array(responseOutputTextSchema),
});

/** A tool call the model made: the caller runs it and sends a `function_call_output` with its `call_id`. */
export const responseFunctionCallSchema = z.object({
  type: z.literal('function_call'),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: z.enum(['in_progress', 'completed', 'incomplete']),
});

export const responseOutputItemSchema = z.discriminatedUnion('type', [responseOutputMessageSchema, responseFunctionCallSchema]);
export type ResponseOutputItem = z.infer<typeof responseOutputItemSchema>;

export const responseUsageSchema = z.object({
  input_tokens: z.number().int().min(0),
  input_tokens_details: z.object({ cached_tokens: z.number().int().min(0) }),
  output_tokens: z.number().int().min(0),
  output_tokens_details: z.object({ reasoning_tokens: z.number().int().min(0) }),
  total_tokens: z.number().int().min(0),
});

export const responseObjectSchema = z.object({
  id: z.string(),
  object: z.literal('response'),
  created_at: z.number().int(),
  status: z.enum(['completed', 'incomplete', 'in_progress', 'failed']),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  incomplete_details: z.object({ reason: z.literal('max_output_tokens') }).nullable(),
  instructions: z.string().nullable(),
  max_output_tokens: z.number().int().nullable(),
  model: z.string(),
  output: z.array(responseOutputItemSchema),
  parallel_tool_calls: z.boolean(),
  previous_response_id: z.string().nullable(),
  store: z.boolean(),
  temperature: z.number(),
  top_p: z.number(),
  text: z.object({ format: responseTextFormatSchema }),
  tool_choice: responseToolChoiceSchema,
  tools: z.array(responseFunctionToolSchema),
  truncation: z.literal('disabled'),
  usage: responseUsageSchema.nullable(),
  metadata: z.record(z.string(), z.string()),
  /** Tessera's extension: how far the answer was verified. */
  tessera: tesseraExtensionSchema.optional(),
});
export type ResponseObject = z.infer<typeof responseObjectSchema>;

const at = { output_index: z.number().int(), item_id: z.string(), content_index: z.number().int() };

/** The server-sent events of `stream: true`, each sent as `event: <type>` with itself as `data`. */
export const responseStreamEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('response.created'), sequence_number: z.number().int(), response: responseObjectSchema }),
  z.object({ type: z.literal('response.in_progress'), sequence_number: z.number().int(), response: responseObjectSchema }),
  z.object({
    type: z.literal('response.output_item.added'),
    sequence_number: z.number().int(),
    output_index: z.number().int(),
    item: responseOutputItemSchema,
  }),
  z.object({ type: z.literal('response.content_part.added'), sequence_number: z.number().int(), ...at, part: responseOutputTextSchema }),
  z.object({
    type: z.literal('response.output_text.delta'),
    sequence_number: z.number().int(),
    ...at,
    delta: z.string(),
    logprobs: z.array(z.never()),
  }),
  z.object({
    type: z.literal('response.output_text.done'),
    sequence_number: z.number().int(),
    ...at,
    text: z.string(),
    logprobs: z.array(z.never()),
  }),
  z.object({ type: z.literal('response.content_part.done'), sequence_number: z.number().int(), ...at, part: responseOutputTextSchema }),
  z.object({
    type: z.literal('response.function_call_arguments.done'),
    sequence_number: z.number().int(),
    output_index: z.number().int(),
    item_id: z.string(),
    arguments: z.string(),
  }),
  z.object({
    type: z.literal('response.output_item.done'),
    sequence_number: z.number().int(),
    output_index: z.number().int(),
    item: responseOutputItemSchema,
  }),
  z.object({ type: z.literal('response.completed'), sequence_number: z.number().int(), response: responseObjectSchema }),
  z.object({ type: z.literal('response.incomplete'), sequence_number: z.number().int(), response: responseObjectSchema }),
  z.object({ type: z.literal('response.failed'), sequence_number: z.number().int(), response: responseObjectSchema }),
]);
export type ResponseStreamEvent = z.infer<typeof responseStreamEventSchema>;
