import { openAIErrorBodySchema } from '@tessera/shared';
import type { OpenAIErrorBody } from '@tessera/shared';

/** An HTTP API failure as the page shows it: OpenAI's error body when the server sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly type: string | null;

  constructor(status: number, message: string, body: OpenAIErrorBody['error'] | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.code ?? null;
    this.type = body?.type ?? null;
  }
}

/** Reads a failed response: the OpenAI error shape if it parses, else the status line and some text. */
export async function apiErrorFromResponse(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML error page, say); fall through to the plain message.
  }
  const body = openAIErrorBodySchema.safeParse(json);
  if (body.success) return new ApiError(response.status, body.data.error.message, body.data.error);
  const snippet = text.trim().slice(0, 200);
  return new ApiError(response.status, `HTTP ${response.status} ${response.statusText}${snippet ? `: ${snippet}` : ''}`);
}

/** Any thrown value as one line for the page. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.code ? `${error.message} (${error.code}, HTTP ${error.status})` : error.message;
  if (error instanceof Error) return error.message;
  return 'unknown error';
}
