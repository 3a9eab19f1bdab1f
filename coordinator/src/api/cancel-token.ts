import { CANCEL_TOKEN_HEADER, TesseraError } from '@tessera/shared';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A fresh secret for the submitter (given once), and the hash the coordinator keeps. */
export function newCancelToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOf(token) };
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Refuses a cancel unless `x-tessera-cancel-token` is the task's own token. Tasks submitted through the
 * OpenAI routes have none: their callers stop them by closing the connection, nobody else at all.
 */
export function assertMayCancel(headers: IncomingHttpHeaders, cancelTokenHash: string | null): void {
  const given = headers[CANCEL_TOKEN_HEADER];
  const token = Array.isArray(given) ? given[0] : given;
  const matches =
    token !== undefined &&
    cancelTokenHash !== null &&
    timingSafeEqual(Buffer.from(hashOf(token), 'hex'), Buffer.from(cancelTokenHash, 'hex'));
  if (!matches) {
    throw new TesseraError(
      'task_not_owned',
      `Only the submitter may cancel this task: send the cancel_token that POST /api/v1/tasks returned in ${CANCEL_TOKEN_HEADER}.`,
      CANCEL_TOKEN_HEADER,
    );
  }
}
