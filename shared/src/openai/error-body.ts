import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../error-codes.ts';

/** OpenAI's error shape, which every 4xx/5xx of the HTTP API uses. */
export const openAIErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});
export type OpenAIErrorBody = z.infer<typeof openAIErrorBodySchema>;

export function openAIErrorBody(code: ErrorCode, message: string, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type: ERROR_CODES[code].type, param, code } };
}
