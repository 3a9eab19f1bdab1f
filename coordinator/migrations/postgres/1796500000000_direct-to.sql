-- Up Migration
-- A task whose requester tab asked for its text peer to peer (`directStream`) keeps that tab's node id while it
-- waits in the shared queue, so the instance that claims it can introduce its tab to the requester on another
-- instance. NULL for every other task.

ALTER TABLE tasks ADD COLUMN direct_to TEXT;

-- Down Migration
ALTER TABLE tasks DROP COLUMN direct_to;
