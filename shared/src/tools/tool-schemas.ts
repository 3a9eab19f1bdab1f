import { z } from 'zod';

/** Tool and schema sizes a request may carry: each one is rendered into the prompt and compiled into a grammar in the tab. */
export const TOOL_LIMITS = { maxTools: 64, maxSchemaChars: 32_000, maxArgumentsChars: 100_000 } as const;

/** Function names as OpenAI accepts them; the same names go into the model's prompt and the grammar. */
export const toolNameSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a tool name is 1–64 letters, digits, _ or -');

/** A JSON Schema as a plain object, bounded in size: the tab compiles it into a logits mask. */
export const jsonSchemaObjectSchema = z
  .record(z.string(), z.unknown())
  .refine((schema) => JSON.stringify(schema).length <= TOOL_LIMITS.maxSchemaChars, {
    message: `a JSON schema is at most ${TOOL_LIMITS.maxSchemaChars} characters`,
  });

/** A tool the model may call, as a task carries it (the API's `tools[].function`). */
export const taskToolSchema = z.strictObject({
  name: toolNameSchema,
  description: z.string().max(4_000).optional(),
  /** JSON Schema of the arguments object; absent: any object. */
  parameters: jsonSchemaObjectSchema.optional(),
});
export type TaskTool = z.infer<typeof taskToolSchema>;

/** `auto`: text or tool calls; `required`: at least one tool call; `{name}`: exactly that tool. */
export const taskToolChoiceSchema = z.union([z.enum(['auto', 'required']), z.strictObject({ name: toolNameSchema })]);
export type TaskToolChoice = z.infer<typeof taskToolChoiceSchema>;

/** Output the tab must produce, enforced by constrained decoding: any JSON object, or JSON valid against a schema. */
export const taskResponseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({ type: z.literal('json_schema'), schema: jsonSchemaObjectSchema }),
]);
export type TaskResponseFormat = z.infer<typeof taskResponseFormatSchema>;

/** A tool call in the conversation's history (an assistant turn), `arguments` as the JSON text the model wrote. */
export const taskToolCallSchema = z.strictObject({
  id: z.string().min(1).max(128),
  name: toolNameSchema,
  arguments: z.string().max(TOOL_LIMITS.maxArgumentsChars),
});
export type TaskToolCall = z.infer<typeof taskToolCallSchema>;
