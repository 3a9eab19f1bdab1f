import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../error-codes.ts';

/**
 * Anthropic's error shape, which `POST /v1/messages` answers with (its SDK reads `error.type` and
 * `error.message`); `tessera` carries the stable code of the shared registry and the field at fault.
 */
export const anthropicErrorBodySchema = z.object({
  type: z.literal('error'),
  error: z.object({ type: z.string(), message: z.string() }),
  tessera: z.object({ code: z.string(), param: z.string().nullable() }).optional(),
});
export type AnthropicErrorBody = z.infer<typeof anthropicErrorBodySchema>;

/** Anthropic's error type for an HTTP status (https://docs.anthropic.com/en/api/errors). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export function anthropicErrorBody(code: ErrorCode, message: string, param: string | null = null): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(ERROR_CODES[code].status), message }, tessera: { code, param } };
}
