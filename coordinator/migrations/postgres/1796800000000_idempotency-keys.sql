-- Up Migration
-- `Idempotency-Key` on the API's POSTs (src/api/idempotency-keys.ts): a client's retry with the same key gets
-- the task its first request created instead of a second one. Keys are scoped to the client that sent them and
-- forgotten after a day.

CREATE TABLE idempotency_keys (
  client TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  task_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (client, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- Down Migration
DROP TABLE idempotency_keys;
