import { z } from 'zod';
import { tesseraExtensionSchema } from './tessera-extension.ts';

export const EMBEDDING_LIMITS = { maxInputs: 256, maxInputChars: 32_000 } as const;

export const embeddingRequestSchema = z.object({
  model: z.string().min(1).max(200),
  input: z.union([
    z.string().min(1).max(EMBEDDING_LIMITS.maxInputChars),
    z.array(z.string().min(1).max(EMBEDDING_LIMITS.maxInputChars)).min(1).max(EMBEDDING_LIMITS.maxInputs),
  ]),
  // The official `openai` client asks for base64 unless told otherwise, then decodes it itself.
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().max(256).optional(),
});
export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

export const embeddingResponseSchema = z.object({
  object: z.literal('list'),
  model: z.string(),
  data: z.array(
    z.object({
      object: z.literal('embedding'),
      index: z.number().int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
  /** Tessera's extension: how far the answer was verified. */
  tessera: tesseraExtensionSchema.optional(),
});
export type EmbeddingResponse = z.infer<typeof embeddingResponseSchema>;

/** Float32 little-endian bytes in base64, the encoding OpenAI uses for `encoding_format: "base64"`. */
export function encodeEmbeddingBase64(vector: readonly number[]): string {
  const bytes = new Uint8Array(new Float32Array(vector).buffer);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function decodeEmbeddingBase64(encoded: string): number[] {
  const binary = atob(encoded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return Array.from(new Float32Array(bytes.buffer));
}
