import { ERROR_CODES, TesseraError, wireError, wireErrorSchema } from '@tessera/shared';
import type { ErrorCode, WireError } from '@tessera/shared';

const MAX_MESSAGE_CHARS = 2000;

/**
 * Maps anything thrown to the wire shape. A `TesseraError` keeps its code; a foreign error (from
 * onnxruntime, web-llm, fetch) gets `fallback` and its message, never `String(err)`, whose output
 * depends on the thrower.
 */
export function toWireError(error: unknown, fallback: ErrorCode): WireError {
  if (error instanceof TesseraError) return { ...error.toWire(), message: error.message.slice(0, MAX_MESSAGE_CHARS) };
  const wire = wireErrorSchema.safeParse(error);
  if (wire.success) return wire.data;
  if (error instanceof Error) return wireError(fallback, (error.message || error.name).slice(0, MAX_MESSAGE_CHARS));
  return wireError(fallback, `${ERROR_CODES[fallback].summary} (a non-Error value was thrown)`);
}

/** The inverse at the receiving edge: a wire error becomes a throwable with the same code. */
export function fromWireError(error: WireError): TesseraError {
  return new TesseraError(error.code, error.message);
}

export function isCancellation(error: unknown): boolean {
  return error instanceof TesseraError && error.code === 'task_cancelled';
}
