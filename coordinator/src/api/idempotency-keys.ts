import { TesseraError, taskIdSchema, type TaskId } from '@tessera/shared';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { TaskRecord } from '../tasks/task-record.ts';

/** The header clients send (the `openai` SDKs send one per request, the same on each of its retries). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Tells a caller its answer is the task an earlier request with the same key created. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const rowSchema = z.object({ request_hash: z.string(), task_id: taskIdSchema });

export interface IdempotencyKeysOptions {
  db: SqlDatabase;
  /** Reads a task, to know whether a remembered one may be answered again. */
  task: (id: TaskId) => TaskRecord | undefined;
  /** How long a key is remembered. Default a day. */
  keepMs?: number;
  now?: () => number;
}

/** One POST's identity for `submitOnce`: who sent it, its key (if any), and what it asked. */
export interface IdempotentRequest {
  client: string;
  key: string | string[] | undefined;
  route: string;
  body: unknown;
}

/**
 * `Idempotency-Key` on the API's POSTs: a retry carrying the key of an earlier request gets the task that
 * request created, not a second one, so a client that lost an answer (a timeout, a dropped connection)
 * neither pays twice nor makes the network work twice. Keys are scoped to the client that sent them (a
 * key seen from another address is a new key) and remembered for a day. The same key with a different
 * request is refused. A remembered task that was cancelled (its first caller went away) or failed is not
 * answered again: the retry runs anew under the key.
 */
export class IdempotencyKeys {
  readonly #options: IdempotencyKeysOptions;
  readonly #now: () => number;
  #sinceSweep = 0;

  constructor(options: IdempotencyKeysOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The task for this request: the remembered one (`replayed`), or a new one from `submit`, remembered. */
  submitOnce(request: IdempotentRequest, submit: () => TaskRecord): { record: TaskRecord; replayed: boolean } {
    const key = this.#key(request.key);
    if (key === undefined) return { record: submit(), replayed: false };
    const hash = createHash('sha256').update(request.route).update('\n').update(JSON.stringify(request.body)).digest('base64url');
    const remembered = this.#remembered(request.client, key, hash);
    if (remembered !== undefined) return { record: remembered, replayed: true };
    const record = submit();
    this.#remember(request.client, key, hash, record.id);
    return { record, replayed: false };
  }

  #key(header: string | string[] | undefined): string | undefined {
    if (header === undefined) return undefined;
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined || !KEY_PATTERN.test(key))
      throw new TesseraError('invalid_request', 'The Idempotency-Key header must be 1–255 printable ASCII characters.', 'Idempotency-Key');
    return key;
  }

  #remembered(client: string, key: string, hash: string): TaskRecord | undefined {
    const found = this.#options.db.get(
      `SELECT request_hash, task_id FROM idempotency_keys WHERE client = ? AND key = ? AND created_at > ?`,
      [client, key, this.#now() - this.#keepMs()],
    );
    if (found === undefined) return undefined;
    const row = rowSchema.parse(found);
    if (row.request_hash !== hash)
      throw new TesseraError(
        'invalid_request',
        'This Idempotency-Key was used for a different request; use a new key for a new request.',
        'Idempotency-Key',
      );
    const record = this.#options.task(row.task_id);
    return record === undefined || record.status === 'cancelled' || record.status === 'failed' ? undefined : record;
  }

  #remember(client: string, key: string, hash: string, taskId: TaskId): void {
    const now = this.#now();
    this.#options.db.run(
      `INSERT INTO idempotency_keys (client, key, request_hash, task_id, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (client, key) DO UPDATE SET request_hash = excluded.request_hash, task_id = excluded.task_id, created_at = excluded.created_at`,
      [client, key, hash, taskId, now],
    );
    if (++this.#sinceSweep >= 1000) {
      this.#sinceSweep = 0;
      this.#options.db.run(`DELETE FROM idempotency_keys WHERE created_at <= ?`, [now - this.#keepMs()]);
    }
  }

  #keepMs(): number {
    return this.#options.keepMs ?? 24 * 60 * 60 * 1000;
  }
}
