import { taskMessageSchema, type TaskMessage } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

const rowSchema = z.object({ model: z.string(), conversation: z.string() });
const conversationSchema = z.array(taskMessageSchema);

export interface StoredResponse {
  model: string;
  /** The messages the response was asked (without its `instructions`, which a follow-up does not inherit), then its answer. */
  conversation: TaskMessage[];
}

export interface ResponseStoreOptions {
  db: SqlDatabase;
  /** How long a response is kept for `previous_response_id`. Default 30 days, as OpenAI keeps them. */
  keepMs?: number;
  now?: () => number;
}

/**
 * The conversations behind `previous_response_id` (`POST /v1/responses`): a tab is stateless, so a follow-up
 * is sent as the whole conversation again, read from here. In the coordinator's database (the `responses`
 * table), so every instance on one PostgreSQL finds the responses of the others, and a restart keeps them.
 */
export class ResponseStore {
  readonly #options: ResponseStoreOptions;
  readonly #now: () => number;
  #sinceSweep = 0;

  constructor(options: ResponseStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get(id: string): StoredResponse | undefined {
    const found = this.#options.db.get(`SELECT model, conversation FROM responses WHERE id = ? AND created_at > ?`, [
      id,
      this.#now() - this.#keepMs(),
    ]);
    if (found === undefined) return undefined;
    const row = rowSchema.parse(found);
    return { model: row.model, conversation: conversationSchema.parse(JSON.parse(row.conversation)) };
  }

  /** Keeps a response once: a replay of the same task (Idempotency-Key) stores nothing new. */
  save(id: string, response: StoredResponse): void {
    const now = this.#now();
    this.#options.db.run(`INSERT INTO responses (id, model, conversation, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, [
      id,
      response.model,
      JSON.stringify(response.conversation),
      now,
    ]);
    if (++this.#sinceSweep >= 1000) {
      this.#sinceSweep = 0;
      this.#options.db.run(`DELETE FROM responses WHERE created_at <= ?`, [now - this.#keepMs()]);
    }
  }

  #keepMs(): number {
    return this.#options.keepMs ?? 30 * 24 * 60 * 60 * 1000;
  }
}
