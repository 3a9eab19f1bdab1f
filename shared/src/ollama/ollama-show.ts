import { z } from 'zod';
import { ollamaModelDetailsSchema } from './ollama-api.ts';

// Ollama's `POST /api/show` (https://github.com/ollama/ollama/blob/main/docs/api.md#show-model-information):
// what a client asks before it uses a model, its context length and whether it chats or embeds.

/**
 * `model` names the model; `name` is what older clients send instead (Ollama still reads it). `verbose` (the full
 * tokenizer arrays in `model_info`) is accepted and ignored: the catalog has no tensors to show.
 */
export const ollamaShowRequestSchema = z
  .object({
    model: z.string().min(1).max(200).optional(),
    name: z.string().min(1).max(200).optional(),
    verbose: z.boolean().optional(),
  })
  .superRefine((request, context) => {
    if (request.model === undefined && request.name === undefined)
      context.addIssue({ code: 'custom', path: ['model'], message: 'model (or name) is required' });
  });
export type OllamaShowRequest = z.infer<typeof ollamaShowRequestSchema>;

/** Ollama's capability names for what a model does: `completion` (chat, generate), `tools` (calls tools) or `embedding`. */
export const ollamaCapabilitySchema = z.enum(['completion', 'tools', 'embedding']);

export const ollamaShowResponseSchema = z.object({
  /** No Modelfile, parameters, template or system prompt: a tab runs the catalog's files with their own template. */
  modelfile: z.string(),
  parameters: z.string(),
  template: z.string(),
  system: z.string(),
  license: z.string(),
  details: ollamaModelDetailsSchema,
  /** `general.architecture`, then `<architecture>.context_length` (and `.embedding_length` for embedding models). */
  model_info: z.record(z.string(), z.union([z.string(), z.number()])),
  capabilities: z.array(ollamaCapabilitySchema),
  modified_at: z.string(),
});
export type OllamaShowResponse = z.infer<typeof ollamaShowResponseSchema>;
