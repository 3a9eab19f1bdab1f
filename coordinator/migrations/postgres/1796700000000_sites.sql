-- Up Migration
-- Sites that embed the widget (src/sites/): their origins (a JSON array) and whom their share is paid to (a
-- Hedera account or a tab key), and one row per task whose site share was credited, with the visitor's key.
-- The share itself is a credits row (`<task>~site`).

CREATE TABLE sites (
  site_key TEXT PRIMARY KEY,
  origins TEXT NOT NULL,
  account_id TEXT,
  public_key TEXT,
  created_at BIGINT NOT NULL
);

CREATE TABLE site_tasks (
  task_id TEXT PRIMARY KEY,
  site_key TEXT NOT NULL,
  worker_key TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX site_tasks_by_site ON site_tasks (site_key);

-- Down Migration
DROP TABLE site_tasks;
DROP TABLE sites;
