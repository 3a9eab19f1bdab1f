/**
 * The SQLite schema, one statement per step, applied in order; a file remembers how many it has applied
 * (`user_version`). Append, never edit: files in the field are at every step. The PostgreSQL schema
 * (`coordinator/migrations/postgres/`) mirrors the result, column for column (`schema-parity.postgres.test.ts`).
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE tasks (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     model TEXT NOT NULL,
     api TEXT NOT NULL,
     spec TEXT NOT NULL,
     status TEXT NOT NULL,
     priority INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     max_attempts INTEGER NOT NULL,
     node_id TEXT,
     lease_expires_at INTEGER,
     created_at INTEGER NOT NULL,
     deadline_at INTEGER NOT NULL,
     finished_at INTEGER,
     result TEXT,
     error TEXT
   ) STRICT`,
  `CREATE INDEX tasks_open ON tasks (status) WHERE status IN ('queued', 'assigned')`,
  `CREATE TABLE identities (
     public_key TEXT PRIMARY KEY,
     stats TEXT NOT NULL,
     first_seen_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL
   ) STRICT`,
  `CREATE TABLE epochs (
     epoch INTEGER PRIMARY KEY,
     started_at INTEGER NOT NULL,
     ends_at INTEGER NOT NULL,
     status TEXT NOT NULL,
     root TEXT,
     total TEXT,
     tx_hash TEXT,
     hcs_sequence TEXT,
     closed_at INTEGER
   ) STRICT`,
  `CREATE TABLE credits (
     task_id TEXT PRIMARY KEY,
     public_key TEXT NOT NULL,
     model TEXT NOT NULL,
     epoch INTEGER NOT NULL,
     units TEXT NOT NULL,
     amount TEXT NOT NULL,
     status TEXT NOT NULL,
     settled_epoch INTEGER,
     created_at INTEGER NOT NULL
   ) STRICT`,
  `CREATE INDEX credits_by_key ON credits (public_key, status)`,
  `CREATE TABLE claims (
     epoch INTEGER NOT NULL,
     account TEXT NOT NULL,
     account_id TEXT NOT NULL,
     amount TEXT NOT NULL,
     proof TEXT NOT NULL,
     claimed INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (epoch, account)
   ) STRICT`,
  `CREATE TABLE claim_sources (
     epoch INTEGER NOT NULL,
     account TEXT NOT NULL,
     public_key TEXT NOT NULL,
     amount TEXT NOT NULL,
     PRIMARY KEY (epoch, account, public_key)
   ) STRICT`,
  // The standing a caller asked of the tabs that may see its task (x-tessera-min-tier); kept across restarts.
  `ALTER TABLE tasks ADD COLUMN min_tier TEXT`,
  // Only the hash of the submitter's cancel token is kept: a leaked database cancels nothing.
  `ALTER TABLE tasks ADD COLUMN cancel_token_hash TEXT`,
  // Settlement progress the coordinator must not forget in a crash: where to look for its own post on
  // chain, and the signed HCS transaction it sends again (same id, so never twice) until it lands.
  `CREATE TABLE epoch_settlement (
     epoch INTEGER PRIMARY KEY,
     post_from_block TEXT,
     hcs_transaction_id TEXT,
     hcs_transaction BLOB,
     hcs_valid_until INTEGER
   ) STRICT`,
  // An account's history (the epochs it was paid in) decides whether its payouts are capped.
  `CREATE INDEX claims_by_account ON claims (account)`,
  // Pin by agreement (src/models/hash-pins.ts): what each tab key said a hub file hashes to, and the pins.
  `CREATE TABLE file_attestations (
     model TEXT NOT NULL,
     path TEXT NOT NULL,
     public_key TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     revision TEXT NOT NULL,
     attested_at INTEGER NOT NULL,
     PRIMARY KEY (model, path, public_key)
   ) STRICT`,
  `CREATE TABLE file_pins (
     model TEXT NOT NULL,
     path TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     pinned_at INTEGER NOT NULL,
     PRIMARY KEY (model, path)
   ) STRICT`,
  // Known answers kept from guard-confirmed results, for models without reference ones (src/verification/canary-book.ts).
  `CREATE TABLE recorded_canaries (
     model TEXT NOT NULL,
     ask TEXT NOT NULL,
     answer TEXT NOT NULL,
     worker_key TEXT NOT NULL,
     recorded_at INTEGER NOT NULL,
     PRIMARY KEY (model, ask)
   ) STRICT`,
  // Keys admitted as workers or guards and where they were first seen: new identities per address and
  // network are counted from here, across restarts (src/workers/admission-control.ts).
  `CREATE TABLE admitted_identities (
     public_key TEXT PRIMARY KEY,
     address TEXT NOT NULL,
     prefix TEXT NOT NULL,
     first_seen_at INTEGER NOT NULL
   ) STRICT`,
  `CREATE INDEX admitted_identities_by_address ON admitted_identities (address, first_seen_at)`,
  `CREATE INDEX admitted_identities_by_prefix ON admitted_identities (prefix, first_seen_at)`,
  // How often each admitted key was caught since: caught keys weigh on where they were first seen, and the
  // partial indexes find a network's few caught keys without reading its many others.
  `ALTER TABLE admitted_identities ADD COLUMN caught INTEGER NOT NULL DEFAULT 0`,
  `CREATE INDEX admitted_identities_caught_by_address ON admitted_identities (address, first_seen_at) WHERE caught > 0`,
  `CREATE INDEX admitted_identities_caught_by_prefix ON admitted_identities (prefix, first_seen_at) WHERE caught > 0`,
  // Wallet links were created by WalletLinkStore itself (IF NOT EXISTS: older files already have them).
  `CREATE TABLE IF NOT EXISTS wallet_links (
     public_key TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     evm_address TEXT NOT NULL,
     key_type TEXT NOT NULL,
     network TEXT NOT NULL,
     linked_at INTEGER NOT NULL
   ) STRICT`,
  `CREATE INDEX IF NOT EXISTS wallet_links_account ON wallet_links (account_id)`,
  // Several instances on one PostgreSQL (src/scale-out/): the instance placing or running a task, and the
  // instances' heartbeats. One SQLite process is the only instance: it owns every task, so these stay empty.
  `ALTER TABLE tasks ADD COLUMN owner TEXT`,
  `CREATE INDEX tasks_shared_queue ON tasks (model, priority, created_at) WHERE status = 'queued' AND owner IS NULL`,
  `CREATE INDEX tasks_by_owner ON tasks (owner) WHERE status IN ('queued', 'assigned')`,
  `CREATE TABLE instances (
     id TEXT PRIMARY KEY,
     started_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL
   ) STRICT`,
  // The requester tab a queued task streams to peer to peer, kept while it waits in the shared queue.
  `ALTER TABLE tasks ADD COLUMN direct_to TEXT`,
  // Tabs connected per address and prefix, counted together by several instances on one PostgreSQL
  // (src/workers/shared-connection-counts.ts). Alone, admission counts in memory, so this stays empty.
  `CREATE TABLE admitted_connections (
     instance_id TEXT NOT NULL,
     connection_id TEXT NOT NULL,
     address TEXT NOT NULL,
     prefix TEXT NOT NULL,
     admitted_at INTEGER NOT NULL,
     PRIMARY KEY (instance_id, connection_id)
   ) STRICT`,
  `CREATE INDEX admitted_connections_by_prefix ON admitted_connections (prefix)`,
  // Sites that embed the widget (src/sites/): their origins and payee, and the tasks served through each.
  `CREATE TABLE sites (
     site_key TEXT PRIMARY KEY,
     origins TEXT NOT NULL,
     account_id TEXT,
     public_key TEXT,
     created_at INTEGER NOT NULL
   ) STRICT`,
  `CREATE TABLE site_tasks (
     task_id TEXT PRIMARY KEY,
     site_key TEXT NOT NULL,
     worker_key TEXT NOT NULL,
     created_at INTEGER NOT NULL
   ) STRICT`,
  `CREATE INDEX site_tasks_by_site ON site_tasks (site_key)`,
  // `Idempotency-Key` on the API's POSTs (src/api/idempotency-keys.ts): a retry gets the task its first request created.
  `CREATE TABLE idempotency_keys (
     client TEXT NOT NULL,
     key TEXT NOT NULL,
     request_hash TEXT NOT NULL,
     task_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (client, key)
   ) STRICT`,
  `CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)`,
  // Developers' API keys (src/keys/), found by the SHA-256 of the key, and the tasks each key submitted.
  `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     key_hash TEXT NOT NULL,
     prefix TEXT NOT NULL,
     priority INTEGER NOT NULL,
     quota_tokens INTEGER,
     requests_per_minute INTEGER,
     used_tokens INTEGER NOT NULL,
     requests INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   ) STRICT`,
  `CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (key_hash)`,
  `CREATE TABLE api_key_tasks (
     task_id TEXT PRIMARY KEY,
     key_id TEXT NOT NULL,
     created_at INTEGER NOT NULL
   ) STRICT`,
  `CREATE INDEX api_key_tasks_by_key ON api_key_tasks (key_id)`,
  // `POST /v1/responses` (src/api/response-store.ts): a stored response's conversation, for `previous_response_id`.
  `CREATE TABLE responses (
     id TEXT PRIMARY KEY,
     model TEXT NOT NULL,
     conversation TEXT NOT NULL,
     created_at INTEGER NOT NULL
   ) STRICT`,
  `CREATE INDEX responses_by_age ON responses (created_at)`,
  // Webhooks of async tasks (src/developer-stream/): each key's signing secret, and one delivery per task,
  // kept until it is delivered or given up so a restart resumes its retries.
  `ALTER TABLE api_keys ADD COLUMN webhook_secret TEXT`,
  `CREATE TABLE webhook_deliveries (
     task_id TEXT PRIMARY KEY,
     key_id TEXT NOT NULL,
     url TEXT NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     next_attempt_at INTEGER NOT NULL,
     claimed_by TEXT,
     claimed_until INTEGER,
     last_error TEXT,
     created_at INTEGER NOT NULL,
     finished_at INTEGER
   ) STRICT`,
  `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
  `CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (finished_at) WHERE status <> 'pending'`,
  // `GET` and `DELETE /v1/responses/{id}` (src/api/response-store.ts): the response object as POST answered it
  // (NULL for one stored before: its conversation still continues), and the API key that made it (NULL: anonymous).
  `ALTER TABLE responses ADD COLUMN response TEXT`,
  `ALTER TABLE responses ADD COLUMN key_id TEXT`,
  // The dashboard's history (src/observers/): one sample per interval as JSON, pruned past 24 h.
  `CREATE TABLE observer_samples (
     at INTEGER PRIMARY KEY,
     sample TEXT NOT NULL
   ) STRICT`,
];
