import { API_KEY_PREFIX, type ApiKeyView, type CreateApiKeyRequest } from '@tessera/shared';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

/** A key's stored record, as the API sees it on each request. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  priority: number;
  quotaTokens: number | null;
  requestsPerMinute: number | null;
  usedTokens: number;
  requests: number;
  createdAt: number;
  revokedAt: number | null;
}

const rowSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  priority: z.coerce.number(),
  quota_tokens: z.coerce.number().nullable(),
  requests_per_minute: z.coerce.number().nullable(),
  used_tokens: z.coerce.number(),
  requests: z.coerce.number(),
  created_at: z.coerce.number(),
  revoked_at: z.coerce.number().nullable(),
});

const COLUMNS = 'id, name, prefix, priority, quota_tokens, requests_per_minute, used_tokens, requests, created_at, revoked_at';

function recordOf(row: unknown): ApiKeyRecord {
  const parsed = rowSchema.parse(row);
  return {
    id: parsed.id,
    name: parsed.name,
    prefix: parsed.prefix,
    priority: parsed.priority,
    quotaTokens: parsed.quota_tokens,
    requestsPerMinute: parsed.requests_per_minute,
    usedTokens: parsed.used_tokens,
    requests: parsed.requests,
    createdAt: parsed.created_at,
    revokedAt: parsed.revoked_at,
  };
}

/**
 * The hash a key is found by. A key is 32 random bytes: nobody can guess one from its hash, so a fast
 * hash (node:crypto's SHA-256) is the right tool; slow password hashes (bcrypt, argon2) protect guessable
 * secrets and would cost every API request tens of milliseconds.
 */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** Developers' API keys (`api_keys`) and the tasks each submitted (`api_key_tasks`), for priority, quotas and usage. */
export class ApiKeyStore {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /**
   * A new key: its record, the key itself (only its hash is stored, so it cannot be shown again) and its
   * webhook secret (stored as is: signing needs it; shown with the key only).
   */
  create(request: CreateApiKeyRequest): { record: ApiKeyRecord; key: string; webhookSecret: string } {
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const webhookSecret = `whsec_${randomBytes(32).toString('base64url')}`;
    const id = `key_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    const prefix = key.slice(0, API_KEY_PREFIX.length + 6);
    this.#db.run(
      `INSERT INTO api_keys (id, name, key_hash, prefix, priority, quota_tokens, requests_per_minute, used_tokens, requests, created_at, revoked_at, webhook_secret)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?, NULL, ?)`,
      [
        id,
        request.name,
        apiKeyHash(key),
        prefix,
        request.priority,
        request.quota_tokens,
        request.requests_per_minute,
        this.#now(),
        webhookSecret,
      ],
    );
    const record = this.byId(id);
    if (record === undefined) throw new Error('the key just stored is not there');
    return { record, key, webhookSecret };
  }

  /** The secret that signs the key's webhooks; null for keys made before webhooks existed. */
  webhookSecret(id: string): string | null {
    const row = this.#db.get(`SELECT webhook_secret FROM api_keys WHERE id = ?`, [id]);
    return z.object({ webhook_secret: z.string().nullable() }).optional().parse(row)?.webhook_secret ?? null;
  }

  /** Whether the task was submitted with this key. */
  submittedWith(keyId: string, taskId: string): boolean {
    return this.#db.get(`SELECT 1 AS found FROM api_key_tasks WHERE task_id = ? AND key_id = ?`, [taskId, keyId]) !== undefined;
  }

  /** Tasks the key submitted (on any instance sharing the database) recorded at or after `since`, oldest first. */
  tasksSince(keyId: string, since: number, limit: number): { taskId: string; createdAt: number }[] {
    return z
      .array(z.object({ task_id: z.string(), created_at: z.coerce.number() }))
      .parse(
        this.#db.all(`SELECT task_id, created_at FROM api_key_tasks WHERE key_id = ? AND created_at >= ? ORDER BY created_at LIMIT ?`, [
          keyId,
          since,
          limit,
        ]),
      )
      .map((row) => ({ taskId: row.task_id, createdAt: row.created_at }));
  }

  /** The live (not revoked) key with this secret. */
  byKey(key: string): ApiKeyRecord | undefined {
    const row = this.#db.get(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`, [apiKeyHash(key)]);
    return row === undefined ? undefined : recordOf(row);
  }

  byId(id: string): ApiKeyRecord | undefined {
    const row = this.#db.get(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`, [id]);
    return row === undefined ? undefined : recordOf(row);
  }

  list(): ApiKeyRecord[] {
    return this.#db.all(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`).map(recordOf);
  }

  /** Revokes a key; false if there is no such key. Its usage stays. */
  revoke(id: string): boolean {
    if (this.byId(id) === undefined) return false;
    this.#db.run(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, [this.#now(), id]);
    return true;
  }

  /** A task submitted with this key: counted as a request, and its tokens counted when it succeeds. */
  recordTask(keyId: string, taskId: string): void {
    this.#db.transaction(() => {
      this.#db.run(`INSERT INTO api_key_tasks (task_id, key_id, created_at) VALUES (?, ?, ?) ON CONFLICT (task_id) DO NOTHING`, [
        taskId,
        keyId,
        this.#now(),
      ]);
      this.#db.run(`UPDATE api_keys SET requests = requests + 1 WHERE id = ?`, [keyId]);
    });
  }

  /** A task succeeded: its tokens count against the key that submitted it, if any. */
  addUsage(taskId: string, tokens: number): void {
    this.#db.run(`UPDATE api_keys SET used_tokens = used_tokens + ? WHERE id = (SELECT key_id FROM api_key_tasks WHERE task_id = ?)`, [
      tokens,
      taskId,
    ]);
  }
}

/** A key as the admin API shows it: never its secret or hash. */
export function apiKeyView(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    priority: record.priority,
    quota_tokens: record.quotaTokens,
    requests_per_minute: record.requestsPerMinute,
    used_tokens: record.usedTokens,
    requests: record.requests,
    created_at: record.createdAt,
    revoked_at: record.revokedAt,
  };
}
