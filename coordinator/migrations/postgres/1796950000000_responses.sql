-- Up Migration
-- `POST /v1/responses` (src/api/response-store.ts): each stored response's conversation, its input messages then
-- its answer, so that a request naming it as `previous_response_id` continues it. Kept 30 days, as OpenAI does.

CREATE TABLE responses (
  id TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  conversation TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX responses_by_age ON responses (created_at);

-- Down Migration
DROP TABLE responses;
