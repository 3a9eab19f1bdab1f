import { z } from 'zod';

/** A developer's key: `tsra_` then 43 base64url characters (32 random bytes). Shown once, stored hashed. */
export const API_KEY_PATTERN = /^tsra_[A-Za-z0-9_-]{43}$/;
export const API_KEY_PREFIX = 'tsra_';

/** Queue priority: lower runs first. Anonymous callers run at `ANONYMOUS_API_PRIORITY`, behind every key by default. */
export const apiKeyPrioritySchema = z.number().int().min(0).max(9);
export const ANONYMOUS_API_PRIORITY = 10;
export const DEFAULT_API_KEY_PRIORITY = 5;

/** `POST /api/v1/admin/keys` (admin token): a new key for a developer. */
export const createApiKeyRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  priority: apiKeyPrioritySchema.default(DEFAULT_API_KEY_PRIORITY),
  /** Tokens (prompt and completion) the key may use in all; null: no quota. */
  quota_tokens: z.number().int().min(1).max(1e15).nullable().default(null),
  /** API requests per minute for this key; null: the coordinator's default per client. */
  requests_per_minute: z.number().int().min(1).max(1_000_000).nullable().default(null),
});
export type CreateApiKeyRequest = z.infer<typeof createApiKeyRequestSchema>;

/** A key as listed: never the key itself, only its first characters to recognise it by. */
export const apiKeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** `tsra_` and the first 6 characters after it. */
  prefix: z.string(),
  priority: z.number().int(),
  quota_tokens: z.number().int().nullable(),
  requests_per_minute: z.number().int().nullable(),
  used_tokens: z.number().int(),
  requests: z.number().int(),
  created_at: z.number().int(),
  revoked_at: z.number().int().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;

/** A key's webhook secret: `whsec_` then 43 base64url characters; it signs the key's webhooks. */
export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9_-]{43}$/;

/** The answer to creating a key: the key itself and its webhook secret, this once. */
export const createdApiKeySchema = apiKeyViewSchema.extend({
  key: z.string().regex(API_KEY_PATTERN),
  webhook_secret: z.string().regex(WEBHOOK_SECRET_PATTERN),
});
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;

export const apiKeyListSchema = z.object({ data: z.array(apiKeyViewSchema) });
export const apiKeyIdParamsSchema = z.object({ id: z.string().min(1).max(100) });

/** `GET /api/v1/usage` with a key: what it used, and what is left of its quota. */
export const apiUsageSchema = z.object({
  key: z.object({ id: z.string(), name: z.string(), prefix: z.string(), priority: z.number().int() }),
  requests: z.number().int(),
  used_tokens: z.number().int(),
  quota_tokens: z.number().int().nullable(),
  remaining_tokens: z.number().int().nullable(),
  requests_per_minute: z.number().int().nullable(),
});
export type ApiUsage = z.infer<typeof apiUsageSchema>;
