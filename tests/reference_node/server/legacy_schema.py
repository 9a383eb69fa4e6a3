"""The key-server schema exactly as servers wrote it before migrations existed (version 1).

Frozen copies, never edited: the migration tests create stores with them to check that such
a store upgrades, and that migration 1 builds the same tables.
"""

SQLITE = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
    digest BLOB PRIMARY KEY,
    report_type INTEGER NOT NULL,
    onset_interval INTEGER,
    expires_s INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    digest BLOB PRIMARY KEY,
    key_hmac BLOB NOT NULL,
    report_type INTEGER NOT NULL,
    onset_interval INTEGER,
    expires_s INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key_data BLOB NOT NULL UNIQUE,
    rolling_start INTEGER NOT NULL,
    rolling_period INTEGER NOT NULL,
    report_type INTEGER,
    days_since_onset INTEGER,
    batch INTEGER
);
CREATE INDEX IF NOT EXISTS keys_pending ON keys (id) WHERE batch IS NULL;
CREATE TABLE IF NOT EXISTS batches (
    number INTEGER PRIMARY KEY,
    leaf_hash BLOB NOT NULL,
    export_bin_sha256 BLOB NOT NULL,
    archive_sha256 BLOB NOT NULL,
    archive_size INTEGER NOT NULL,
    start_s INTEGER NOT NULL,
    end_s INTEGER NOT NULL,
    key_count INTEGER NOT NULL,
    archive BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (tree_size INTEGER PRIMARY KEY, note BLOB NOT NULL);
"""

POSTGRES = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
    digest BYTEA PRIMARY KEY,
    report_type INTEGER NOT NULL,
    onset_interval BIGINT,
    expires_s BIGINT NOT NULL,
    used BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS tokens (
    digest BYTEA PRIMARY KEY,
    key_hmac BYTEA NOT NULL,
    report_type INTEGER NOT NULL,
    onset_interval BIGINT,
    expires_s BIGINT NOT NULL,
    used BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS keys (
    id BIGSERIAL PRIMARY KEY,
    key_data BYTEA NOT NULL UNIQUE,
    rolling_start BIGINT NOT NULL,
    rolling_period INTEGER NOT NULL,
    report_type INTEGER,
    days_since_onset INTEGER,
    batch BIGINT
);
CREATE INDEX IF NOT EXISTS keys_pending ON keys (id) WHERE batch IS NULL;
CREATE TABLE IF NOT EXISTS batches (
    number BIGINT PRIMARY KEY,
    leaf_hash BYTEA NOT NULL,
    export_bin_sha256 BYTEA NOT NULL,
    archive_sha256 BYTEA NOT NULL,
    archive_size BIGINT NOT NULL,
    start_s BIGINT NOT NULL,
    end_s BIGINT NOT NULL,
    key_count BIGINT NOT NULL,
    archive BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (tree_size BIGINT PRIMARY KEY, note BYTEA NOT NULL);
"""

# The version row those servers wrote into meta.
VERSION_ROW = "INSERT INTO meta VALUES ('schema_version', '1')"
