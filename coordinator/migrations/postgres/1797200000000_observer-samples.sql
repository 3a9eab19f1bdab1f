-- Up Migration
-- The dashboard's history (src/observers/): one sample per interval as JSON, pruned past 24 h. With several
-- instances only the leader writes it, so it holds one series.

CREATE TABLE observer_samples (
  at BIGINT PRIMARY KEY,
  sample TEXT NOT NULL
);

-- Down Migration
DROP TABLE observer_samples;
