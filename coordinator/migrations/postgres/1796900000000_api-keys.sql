-- Up Migration
-- Developers' API keys (src/keys/): stored by the SHA-256 of the key, never the key; the tasks each key
-- submitted, so a result's tokens count against its key's quota.

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  prefix TEXT NOT NULL,
  priority BIGINT NOT NULL,
  quota_tokens BIGINT,
  requests_per_minute BIGINT,
  used_tokens BIGINT NOT NULL,
  requests BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (key_hash);

CREATE TABLE api_key_tasks (
  task_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX api_key_tasks_by_key ON api_key_tasks (key_id);

-- Down Migration
DROP TABLE api_key_tasks;
DROP TABLE api_keys;
