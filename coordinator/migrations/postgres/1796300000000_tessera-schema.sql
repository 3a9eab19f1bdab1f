-- Up Migration
-- The coordinator's schema on PostgreSQL, mirroring SQLite's (coordinator/src/db/sqlite-migrations.ts) column for
-- column: epoch-millisecond times and counters are BIGINT (read back as JavaScript numbers), money is TEXT (a
-- decimal bigint, as on SQLite), bytes are BYTEA. New columns and tables go in a new file, and in SQLite's list.

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  model TEXT NOT NULL,
  api TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  priority BIGINT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  max_attempts BIGINT NOT NULL,
  node_id TEXT,
  lease_expires_at BIGINT,
  created_at BIGINT NOT NULL,
  deadline_at BIGINT NOT NULL,
  finished_at BIGINT,
  result TEXT,
  error TEXT,
  -- The standing a caller asked of the tabs that may see its task (x-tessera-min-tier).
  min_tier TEXT,
  -- Only the hash of the submitter's cancel token is kept: a leaked database cancels nothing.
  cancel_token_hash TEXT
);
CREATE INDEX tasks_open ON tasks (status) WHERE status IN ('queued', 'assigned');

CREATE TABLE identities (
  public_key TEXT PRIMARY KEY,
  stats TEXT NOT NULL,
  first_seen_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL
);

CREATE TABLE epochs (
  epoch BIGINT PRIMARY KEY,
  started_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  status TEXT NOT NULL,
  root TEXT,
  total TEXT,
  tx_hash TEXT,
  hcs_sequence TEXT,
  closed_at BIGINT
);

CREATE TABLE credits (
  task_id TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  model TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  units TEXT NOT NULL,
  amount TEXT NOT NULL,
  status TEXT NOT NULL,
  settled_epoch BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX credits_by_key ON credits (public_key, status);

CREATE TABLE claims (
  epoch BIGINT NOT NULL,
  account TEXT NOT NULL,
  account_id TEXT NOT NULL,
  amount TEXT NOT NULL,
  proof TEXT NOT NULL,
  claimed BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (epoch, account)
);
-- An account's history (the epochs it was paid in) decides whether its payouts are capped.
CREATE INDEX claims_by_account ON claims (account);

CREATE TABLE claim_sources (
  epoch BIGINT NOT NULL,
  account TEXT NOT NULL,
  public_key TEXT NOT NULL,
  amount TEXT NOT NULL,
  PRIMARY KEY (epoch, account, public_key)
);

-- Settlement progress that must survive a crash: where to look for the coordinator's own post on chain, and
-- the signed HCS transaction sent again (same id, so never twice) until it lands.
CREATE TABLE epoch_settlement (
  epoch BIGINT PRIMARY KEY,
  post_from_block TEXT,
  hcs_transaction_id TEXT,
  hcs_transaction BYTEA,
  hcs_valid_until BIGINT
);

-- Pin by agreement (src/models/hash-pins.ts): what each tab key said a hub file hashes to, and the pins.
CREATE TABLE file_attestations (
  model TEXT NOT NULL,
  path TEXT NOT NULL,
  public_key TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  revision TEXT NOT NULL,
  attested_at BIGINT NOT NULL,
  PRIMARY KEY (model, path, public_key)
);
CREATE TABLE file_pins (
  model TEXT NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  pinned_at BIGINT NOT NULL,
  PRIMARY KEY (model, path)
);

-- Known answers kept from guard-confirmed results, for models without reference ones (src/verification/canary-book.ts).
CREATE TABLE recorded_canaries (
  model TEXT NOT NULL,
  ask TEXT NOT NULL,
  answer TEXT NOT NULL,
  worker_key TEXT NOT NULL,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (model, ask)
);

-- Keys admitted as workers or guards, where they were first seen and how often they were caught since
-- (src/workers/admission-store.ts); the partial indexes find a network's few caught keys among its many.
CREATE TABLE admitted_identities (
  public_key TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  prefix TEXT NOT NULL,
  first_seen_at BIGINT NOT NULL,
  caught BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX admitted_identities_by_address ON admitted_identities (address, first_seen_at);
CREATE INDEX admitted_identities_by_prefix ON admitted_identities (prefix, first_seen_at);
CREATE INDEX admitted_identities_caught_by_address ON admitted_identities (address, first_seen_at) WHERE caught > 0;
CREATE INDEX admitted_identities_caught_by_prefix ON admitted_identities (prefix, first_seen_at) WHERE caught > 0;

CREATE TABLE wallet_links (
  public_key TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  evm_address TEXT NOT NULL,
  key_type TEXT NOT NULL,
  network TEXT NOT NULL,
  linked_at BIGINT NOT NULL
);
CREATE INDEX wallet_links_account ON wallet_links (account_id);

-- Down Migration
DROP TABLE wallet_links, admitted_identities, recorded_canaries, file_pins, file_attestations, epoch_settlement,
  claim_sources, claims, credits, epochs, identities, tasks;
