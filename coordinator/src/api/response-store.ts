import { responseObjectSchema, taskMessageSchema, type ResponseObject, type TaskMessage } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

const rowSchema = z.object({ model: z.string(), conversation: z.string(), response: z.string().nullable(), key_id: z.string().nullable() });
const conversationSchema = z.array(taskMessageSchema);

export interface StoredResponse {
  model: string;
  /** The messages the response was asked (without its `instructions`, which a follow-up does not inherit), then its answer. */
  conversation: TaskMessage[];
  /** The response object as `POST /v1/responses` answered it; null for one stored before `GET` was served. */
  response: ResponseObject | null;
}

/**
 * Who asks: the id of the request's API key, or null for an anonymous caller. A response made with a key is
 * that key's alone; an anonymous one is anyone's who has its id (a random UUID), as it was before keys.
 */
export type ResponseCaller = string | null;

export interface ResponseStoreOptions {
  db: SqlDatabase;
  /** How long a response is kept for `previous_response_id`. Default 30 days, as OpenAI keeps them. */
  keepMs?: number;
  now?: () => number;
}

/**
 * The responses of `POST /v1/responses`, for `previous_response_id` and `GET`/`DELETE /v1/responses/{id}`: a
 * tab is stateless, so a follow-up is sent as the whole conversation again, read from here. In the
 * coordinator's database (the `responses` table), so every instance on one PostgreSQL finds the responses of
 * the others, and a restart keeps them. Another key's response reads as missing, never as forbidden: its
 * id says nothing to a caller that does not own it.
 */
export class ResponseStore {
  readonly #options: ResponseStoreOptions;
  readonly #now: () => number;
  #sinceSweep = 0;

  constructor(options: ResponseStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get(id: string, caller: ResponseCaller): StoredResponse | undefined {
    const found = this.#options.db.get(
      `SELECT model, conversation, response, key_id FROM responses WHERE id = ? AND created_at > ? AND (key_id IS NULL OR key_id = ?)`,
      [id, this.#now() - this.#keepMs(), caller],
    );
    if (found === undefined) return undefined;
    const row = rowSchema.parse(found);
    return {
      model: row.model,
      conversation: conversationSchema.parse(JSON.parse(row.conversation)),
      response: row.response === null ? null : responseObjectSchema.parse(JSON.parse(row.response)),
    };
  }

  /** Keeps a response once: a replay of the same task (Idempotency-Key) stores nothing new. */
  save(id: string, response: StoredResponse, owner: ResponseCaller): void {
    const now = this.#now();
    this.#options.db.run(
      `INSERT INTO responses (id, model, conversation, response, key_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [
        id,
        response.model,
        JSON.stringify(response.conversation),
        response.response === null ? null : JSON.stringify(response.response),
        owner,
        now,
      ],
    );
    if (++this.#sinceSweep >= 1000) {
      this.#sinceSweep = 0;
      this.#options.db.run(`DELETE FROM responses WHERE created_at <= ?`, [now - this.#keepMs()]);
    }
  }

  /** Forgets a response the caller may read; false when there is none (already gone, expired, or another key's). */
  delete(id: string, caller: ResponseCaller): boolean {
    const { changes } = this.#options.db.run(`DELETE FROM responses WHERE id = ? AND created_at > ? AND (key_id IS NULL OR key_id = ?)`, [
      id,
      this.#now() - this.#keepMs(),
      caller,
    ]);
    return changes > 0;
  }

  #keepMs(): number {
    return this.#options.keepMs ?? 30 * 24 * 60 * 60 * 1000;
  }
}
