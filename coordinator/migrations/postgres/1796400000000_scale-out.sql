-- Up Migration
-- Several coordinator instances on one database (coordinator/src/scale-out/). A task's `owner` is the instance
-- placing or running it; NULL: it waits in the shared queue for any instance with a free tab. `instances` holds
-- each live instance's heartbeat; one silent too long is dead and its tasks are taken over.

ALTER TABLE tasks ADD COLUMN owner TEXT;
CREATE INDEX tasks_shared_queue ON tasks (model, priority, created_at) WHERE status = 'queued' AND owner IS NULL;
CREATE INDEX tasks_by_owner ON tasks (owner) WHERE status IN ('queued', 'assigned');

CREATE TABLE instances (
  id TEXT PRIMARY KEY,
  started_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL
);

-- Down Migration
DROP TABLE instances;
DROP INDEX tasks_by_owner;
DROP INDEX tasks_shared_queue;
ALTER TABLE tasks DROP COLUMN owner;
