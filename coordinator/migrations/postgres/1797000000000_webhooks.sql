-- Up Migration
-- Webhooks of async tasks (src/developer-stream/): each key's signing secret (NULL for keys made before this:
-- they cannot use webhooks), and one delivery per task, kept until it is delivered or given up so a restart
-- resumes its retries. Instances claim a due delivery with a conditional update of claimed_by/claimed_until.

ALTER TABLE api_keys ADD COLUMN webhook_secret TEXT;

CREATE TABLE webhook_deliveries (
  task_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  url TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  claimed_by TEXT,
  claimed_until BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (finished_at) WHERE status <> 'pending';

-- Down Migration
DROP TABLE webhook_deliveries;
ALTER TABLE api_keys DROP COLUMN webhook_secret;
