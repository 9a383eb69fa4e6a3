"""The store's schema: its version table and the migrations that build it, step by step.

A migration is a tuple of SQL statements that takes the schema from version n-1 to n; all
pending migrations run in one transaction with the version rows they add, so a store is
always at exactly one version. A store newer than this code is refused, never rewritten.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from bluezone.reference_node.errors import StoreSchemaError, StoreSchemaTooNewError

# 'BZN1' in the SQLite header marks the file as a Bluezone node store (`file` shows it).
APPLICATION_ID = 0x425A4E31

VERSION_TABLE = """
CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    applied_wall_time REAL NOT NULL
) STRICT
"""

# Intervals are ENIntervalNumbers (KS-2), times unix or monotonic seconds.
_V1 = (
    # spec KS-11: the device's own keys; rolling_period shrinks when a report cuts a key (KS-13).
    """
    CREATE TABLE own_keys (
        key_id INTEGER PRIMARY KEY,
        key_data BLOB NOT NULL UNIQUE CHECK (length(key_data) = 16),
        rolling_start INTEGER NOT NULL CHECK (rolling_start BETWEEN 0 AND 4294967295),
        rolling_period INTEGER NOT NULL CHECK (rolling_period BETWEEN 1 AND 144),
        created_wall_time REAL NOT NULL
    ) STRICT
    """,
    # spec ADV-13, ADV-14: address and address_type are cleared after aggregation.
    """
    CREATE TABLE sightings (
        sighting_id INTEGER PRIMARY KEY,
        rpi BLOB NOT NULL CHECK (length(rpi) = 16),
        aem BLOB CHECK (aem IS NULL OR length(aem) = 4),
        interval INTEGER NOT NULL CHECK (interval BETWEEN 0 AND 4294967295),
        monotonic_time REAL NOT NULL,
        wall_time REAL NOT NULL,
        rssi INTEGER,
        address TEXT,
        address_type TEXT,
        backend TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX sightings_by_interval ON sightings (interval)",
    "CREATE INDEX sightings_with_address ON sightings (sighting_id) WHERE address IS NOT NULL",
    # spec KS-13: reports made and which keys they cover; a key is uploaded after its embargo.
    """
    CREATE TABLE reports (
        report_id INTEGER PRIMARY KEY,
        made_interval INTEGER NOT NULL CHECK (made_interval BETWEEN 0 AND 4294967295),
        made_wall_time REAL NOT NULL
    ) STRICT
    """,
    """
    CREATE TABLE report_keys (
        report_id INTEGER NOT NULL REFERENCES reports (report_id) ON DELETE CASCADE,
        key_id INTEGER NOT NULL REFERENCES own_keys (key_id) ON DELETE CASCADE,
        uploaded_wall_time REAL,
        PRIMARY KEY (report_id, key_id)
    ) STRICT, WITHOUT ROWID
    """,
    "CREATE INDEX report_keys_by_key ON report_keys (key_id)",
    """
    CREATE TABLE batches (
        batch_id TEXT PRIMARY KEY,
        digest BLOB NOT NULL,
        seen_interval INTEGER NOT NULL CHECK (seen_interval BETWEEN 0 AND 4294967295),
        seen_wall_time REAL NOT NULL
    ) STRICT, WITHOUT ROWID
    """,
    """
    CREATE TABLE exposure_checks (
        check_id INTEGER PRIMARY KEY,
        checked_interval INTEGER NOT NULL CHECK (checked_interval BETWEEN 0 AND 4294967295),
        checked_wall_time REAL NOT NULL,
        batch_ids TEXT NOT NULL,
        keys_checked INTEGER NOT NULL,
        matched_sightings INTEGER NOT NULL,
        details TEXT NOT NULL
    ) STRICT
    """,
)

# spec RISK-4: the node's scans, including those that heard nothing, so that each scan
# instance's seconds_since_last_scan can be computed at exposure check time.
_V2 = (
    """
    CREATE TABLE scans (
        scan_id INTEGER PRIMARY KEY,
        start_wall_time REAL NOT NULL,
        end_wall_time REAL NOT NULL CHECK (end_wall_time >= start_wall_time),
        start_interval INTEGER NOT NULL CHECK (start_interval BETWEEN 0 AND 4294967295),
        sightings INTEGER NOT NULL CHECK (sightings >= 0),
        dropped INTEGER NOT NULL CHECK (dropped >= 0)
    ) STRICT
    """,
    "CREATE INDEX scans_by_interval ON scans (start_interval)",
)

# spec KS-13, SRV-4..SRV-7: the upload of a report's keys to a key server. The HMAC secret
# is stored before the code is exchanged and the token as soon as it is received, so a
# restart between the report and the end of the cut key's embargo loses neither.
# spec SRV-17, LOG-11: per log (its origin), the last checkpoint accepted and the batches
# downloaded and verified under it, kept while their keys can still match (MATCH-6).
_V3 = (
    """
    CREATE TABLE uploads (
        report_id INTEGER PRIMARY KEY REFERENCES reports (report_id) ON DELETE CASCADE,
        server_url TEXT NOT NULL,
        hmac_secret BLOB NOT NULL CHECK (length(hmac_secret) BETWEEN 16 AND 64),
        key_ids TEXT NOT NULL,
        due_interval INTEGER NOT NULL CHECK (due_interval BETWEEN 0 AND 4294967295),
        created_wall_time REAL NOT NULL,
        token BLOB CHECK (token IS NULL OR length(token) = 32),
        token_expires_s INTEGER,
        uploaded_wall_time REAL,
        accepted INTEGER CHECK (accepted IS NULL OR accepted >= 0),
        failure TEXT
    ) STRICT
    """,
    """
    CREATE TABLE server_logs (
        origin TEXT PRIMARY KEY,
        log_key TEXT NOT NULL,
        checkpoint BLOB NOT NULL,
        tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
        next_batch INTEGER NOT NULL CHECK (next_batch BETWEEN 0 AND tree_size),
        updated_wall_time REAL NOT NULL
    ) STRICT
    """,
    """
    CREATE TABLE server_batches (
        origin TEXT NOT NULL REFERENCES server_logs (origin) ON DELETE CASCADE,
        number INTEGER NOT NULL CHECK (number >= 0),
        leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
        end_s INTEGER NOT NULL,
        archive BLOB NOT NULL,
        UNIQUE (origin, number)
    ) STRICT
    """,
    "CREATE INDEX server_batches_by_end ON server_batches (end_s)",
)

# spec SRV-23, SRV-21: the revision secret an upload sends (stored with the upload, before
# the code is exchanged, so only this device can revise those keys later) and the keys a
# recursive code dropped (a JSON list of own key ids), which are not published.
_V4 = (
    "ALTER TABLE uploads ADD COLUMN revision_secret BLOB"
    " CHECK (revision_secret IS NULL OR length(revision_secret) = 32)",
    "ALTER TABLE uploads ADD COLUMN dropped_key_ids TEXT",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4)
LATEST_VERSION = len(MIGRATIONS)


def current_version(connection: sqlite3.Connection) -> int:
    """Return the store's schema version, 0 for an empty database.

    Raises StoreSchemaError for a database that holds tables but is not a store.
    """
    (app_id,) = connection.execute("PRAGMA application_id").fetchone()
    tables = {
        name for (name,) in connection.execute("SELECT name FROM sqlite_schema WHERE type='table'")
    }
    if app_id not in (0, APPLICATION_ID) or (tables and "schema_version" not in tables):
        raise StoreSchemaError("the database file is not a Bluezone node store")
    if not tables:
        return 0
    query = "SELECT coalesce(max(version), 0) FROM schema_version"
    (version,) = connection.execute(query).fetchone()
    return int(version)


def migrate(
    connection: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS
) -> int:
    """Bring the schema up to the last of ``migrations``; return the version reached.

    The caller holds a write transaction; everything here commits or rolls back with it.
    Raises StoreSchemaTooNewError, without writing, if the store is newer than this code.
    """
    version = current_version(connection)
    latest = len(migrations)
    if version > latest:
        raise StoreSchemaTooNewError(
            f"store schema version {version} is newer than this code's {latest}"
        )
    if version == 0:
        connection.execute(VERSION_TABLE)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for number in range(version + 1, latest + 1):
        for statement in migrations[number - 1]:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO schema_version (version, applied_wall_time) VALUES (?, ?)",
            (number, time.time()),
        )
    return latest
