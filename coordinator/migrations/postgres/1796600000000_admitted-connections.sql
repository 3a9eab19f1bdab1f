-- Up Migration
-- Several instances of one network count connected tabs per address and prefix together: each admitted tab
-- connection is a row, written in the transaction that counted it and deleted when the tab leaves
-- (src/workers/shared-connection-counts.ts). Rows of an instance that is not live are not counted.

CREATE TABLE admitted_connections (
  instance_id TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  address TEXT NOT NULL,
  prefix TEXT NOT NULL,
  admitted_at BIGINT NOT NULL,
  PRIMARY KEY (instance_id, connection_id)
);
CREATE INDEX admitted_connections_by_prefix ON admitted_connections (prefix);

-- Down Migration
DROP TABLE admitted_connections;
