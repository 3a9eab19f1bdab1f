import { wireError } from '@tessera/shared';
import type { ErrorCode, WireError } from '@tessera/shared';

/** What handling a tab's message came to: a refusal changed nothing and is answered with `protocol:error`. */
export type WorkerMessageOutcome = { ok: true } | { ok: false; error: WireError };

export const OK: WorkerMessageOutcome = { ok: true };

export function refusal(code: ErrorCode, message: string): WorkerMessageOutcome {
  return { ok: false, error: wireError(code, message) };
}
