"""The key server's storage schema: one description, an ordered list of migrations (spec SRV-19).

A migration is a tuple of SQL statements that takes the schema from version n-1 to n. The
few column types that differ between SQLite and PostgreSQL are placeholders (``{blob}``,
``{bigint}``, ``{bool}``, ``{false}``, ``{serial_id}``) that ``statements`` fills per
dialect. Each backend runs the pending migrations, with the version rows they add, in one
transaction at start, so a store is always at exactly one version. A store newer than this
code is refused and left untouched.

Version 1 is the schema written before migrations existed, byte for byte; such a store has a
``meta`` row ``schema_version = '1'`` and no version table, and counts as version 1. After a
migration the ``meta`` row holds the new version too, so a server older than the store
refuses it instead of using tables it does not know.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from bluezone.reference_node.server.errors import StorageError, StorageSchemaTooNewError

Dialect = Literal["sqlite", "postgres"]

_TYPES: dict[str, dict[str, str]] = {
    "sqlite": {
        "blob": "BLOB",
        "bigint": "INTEGER",
        "bool": "INTEGER",
        "false": "0",
        "serial_id": "INTEGER PRIMARY KEY AUTOINCREMENT",
    },
    "postgres": {
        "blob": "BYTEA",
        "bigint": "BIGINT",
        "bool": "BOOLEAN",
        "false": "false",
        "serial_id": "BIGSERIAL PRIMARY KEY",
    },
}

VERSION_TABLE = (
    "CREATE TABLE schema_version (version {bigint} PRIMARY KEY, applied_s {bigint} NOT NULL)"
)
# The meta row that servers written before the version table read (and still refuse on).
LEGACY_VERSION_NAME = "schema_version"

_V1 = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS codes (
    digest {blob} PRIMARY KEY,
    report_type INTEGER NOT NULL,
    onset_interval {bigint},
    expires_s {bigint} NOT NULL,
    used {bool} NOT NULL DEFAULT {false}
)""",
    """CREATE TABLE IF NOT EXISTS tokens (
    digest {blob} PRIMARY KEY,
    key_hmac {blob} NOT NULL,
    report_type INTEGER NOT NULL,
    onset_interval {bigint},
    expires_s {bigint} NOT NULL,
    used {bool} NOT NULL DEFAULT {false}
)""",
    """CREATE TABLE IF NOT EXISTS keys (
    id {serial_id},
    key_data {blob} NOT NULL UNIQUE,
    rolling_start {bigint} NOT NULL,
    rolling_period INTEGER NOT NULL,
    report_type INTEGER,
    days_since_onset INTEGER,
    batch {bigint}
)""",
    "CREATE INDEX IF NOT EXISTS keys_pending ON keys (id) WHERE batch IS NULL",
    """CREATE TABLE IF NOT EXISTS batches (
    number {bigint} PRIMARY KEY,
    leaf_hash {blob} NOT NULL,
    export_bin_sha256 {blob} NOT NULL,
    archive_sha256 {blob} NOT NULL,
    archive_size {bigint} NOT NULL,
    start_s {bigint} NOT NULL,
    end_s {bigint} NOT NULL,
    key_count {bigint} NOT NULL,
    archive {blob} NOT NULL
)""",
    "CREATE TABLE IF NOT EXISTS checkpoints (tree_size {bigint} PRIMARY KEY, note {blob} NOT NULL)",
)

# spec SRV-20..SRV-25: the kinds of codes and tokens (a recursive code's exposure interval,
# revision codes), keys' revision tags (only the upload that stored a key gives it one) and
# the revisions queued for publication in revised_keys. Separate tables keep v1's rows as
# they were, and nothing in them links a code, a token and keys to one another.
_V2 = (
    """CREATE TABLE code_kinds (
    digest {blob} PRIMARY KEY,
    exposure_interval {bigint},
    revision {bool} NOT NULL DEFAULT {false}
)""",
    """CREATE TABLE token_kinds (
    digest {blob} PRIMARY KEY,
    exposure_interval {bigint},
    revision {bool} NOT NULL DEFAULT {false}
)""",
    "CREATE TABLE key_tags (key_data {blob} PRIMARY KEY, tag {blob} NOT NULL)",
    """CREATE TABLE revisions (
    id {serial_id},
    key_data {blob} NOT NULL,
    rolling_start {bigint} NOT NULL,
    rolling_period INTEGER NOT NULL,
    report_type INTEGER NOT NULL,
    days_since_onset INTEGER,
    batch {bigint}
)""",
    "CREATE INDEX revisions_pending ON revisions (id) WHERE batch IS NULL",
)

# spec SRV-6: the server-side embargo. A key is published only from interval publish_after
# on; keys stored before this column existed were all past their embargo.
_V3 = (
    "ALTER TABLE keys ADD COLUMN publish_after {bigint} NOT NULL DEFAULT 0",
    "CREATE INDEX keys_publishable ON keys (publish_after) WHERE batch IS NULL",
)

# spec SRV-14: token buckets shared by every process of a deployment on PostgreSQL (SQLite
# deployments are one process and keep them in memory). ``bucket`` is an HMAC of the client
# under a key kept outside the database.
_V4 = (
    """CREATE TABLE rate_buckets (
    bucket {blob} PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    updated_s DOUBLE PRECISION NOT NULL,
    granted {bool} NOT NULL
)""",
)

# The health authority's portal (section 7): staff accounts (PORTAL-2, PORTAL-4, PORTAL-14),
# their sessions, stored as digests of the cookie (PORTAL-5), the audit trail, which never
# holds a code (PORTAL-12), and counts per UTC day (``day`` = unix seconds // 86400) that the
# code, token and batch methods add to in their own transactions (PORTAL-10, PORTAL-11).
_V5 = (
    """CREATE TABLE staff (
    id {serial_id},
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash {blob} NOT NULL,
    totp_secret {blob},
    totp_last_step {bigint} NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until_s {bigint} NOT NULL DEFAULT 0,
    disabled {bool} NOT NULL DEFAULT {false},
    must_change_password {bool} NOT NULL DEFAULT {false},
    created_s {bigint} NOT NULL
)""",
    """CREATE TABLE staff_sessions (
    digest {blob} PRIMARY KEY,
    staff_id {bigint} NOT NULL,
    created_s {bigint} NOT NULL,
    last_seen_s {bigint} NOT NULL
)""",
    """CREATE TABLE audit_events (
    id {serial_id},
    at_s {bigint} NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
)""",
    """CREATE TABLE daily_counts (
    day {bigint} NOT NULL,
    name TEXT NOT NULL,
    count {bigint} NOT NULL,
    PRIMARY KEY (day, name)
)""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5)
LATEST_VERSION = len(MIGRATIONS)


def render(statement: str, dialect: Dialect) -> str:
    """Fill a statement's type placeholders for ``dialect``."""
    return statement.format(**_TYPES[dialect])


def statements(version: int, dialect: Dialect, migrations: Sequence[Sequence[str]] = MIGRATIONS):
    """Return the SQL of migration ``version`` (1-based) for ``dialect``."""
    return [render(s, dialect) for s in migrations[version - 1]]


def legacy_version(meta_value: str | None) -> int:
    """Return the version of a store without a version table from its ``meta`` row.

    Raises StorageError when the row names no version this code knows.
    """
    if meta_value == "1":
        return 1
    raise StorageError(f"SRV-19: unknown server schema version {meta_value!r}")


def pending(version: int, latest: int) -> range:
    """Return the migrations to run on a store at ``version`` (spec SRV-19).

    Raises StorageSchemaTooNewError when the store is newer than ``latest``.
    """
    if version > latest:
        raise StorageSchemaTooNewError(
            f"SRV-19: the server database has schema version {version}, newer than this "
            f"code's {latest}; run a newer server"
        )
    return range(version + 1, latest + 1)


def upgrade(
    version: int,
    has_version_table: bool,
    dialect: Dialect,
    now_s: int,
    migrations: Sequence[Sequence[str]] = MIGRATIONS,
) -> list[str]:
    """Return the statements that bring a store at ``version`` to the last of ``migrations``.

    The caller runs them in one transaction. Raises StorageSchemaTooNewError first when the
    store is newer than this code.
    """
    todo = pending(version, len(migrations))
    applied_s = now_s - now_s % 3600  # the hour is enough for an operator
    script = []
    if not has_version_table:
        script.append(render(VERSION_TABLE, dialect))
        if version > 0:
            script.append(f"INSERT INTO schema_version VALUES ({version}, {applied_s})")
    for number in todo:
        script.extend(statements(number, dialect, migrations))
        script.append(f"INSERT INTO schema_version VALUES ({number}, {applied_s})")
    if todo:
        script.append(
            f"INSERT INTO meta VALUES ('{LEGACY_VERSION_NAME}', '{len(migrations)}') "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        )
    return script
