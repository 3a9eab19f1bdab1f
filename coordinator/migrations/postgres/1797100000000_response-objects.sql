-- Up Migration
-- `GET` and `DELETE /v1/responses/{id}` (src/api/response-store.ts): each stored response's object as
-- `POST /v1/responses` answered it (NULL for one stored before this: its conversation still continues, but it
-- cannot be retrieved), and the API key that made it (NULL: made anonymously), the only key that may read,
-- continue or delete it.

ALTER TABLE responses ADD COLUMN response TEXT;
ALTER TABLE responses ADD COLUMN key_id TEXT;

-- Down Migration
ALTER TABLE responses DROP COLUMN key_id;
ALTER TABLE responses DROP COLUMN response;
