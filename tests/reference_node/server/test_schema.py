"""The storage schema's migrations, on SQLite and on PostgreSQL (spec SRV-19)."""

from __future__ import annotations

import sqlite3
from hashlib import sha256
from pathlib import Path

import pytest

from bluezone.reference_node.server.errors import StorageError, StorageSchemaTooNewError
from bluezone.reference_node.server.storage import open_storage, postgres, schema, sqlite
from bluezone.reference_node.server.storage.schema import LATEST_VERSION, MIGRATIONS

from . import legacy_schema
from .conftest import fresh_postgres_database, run

NOW = 1_800_000_000
# A migration after the last one, to show the path forward and its refusal by older code.
NEXT = ("ALTER TABLE codes ADD COLUMN note TEXT",)
BROKEN = ("CREATE TABLE half_done (x INTEGER)", "SELECT * FROM no_such_table")


class SqliteStore:
    """A SQLite store reached both through the server's storage and raw SQL."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def database(self) -> str:
        return str(self.path)

    async def sql(self, *statements: str) -> list[tuple]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            rows: list[tuple] = []
            for statement in statements:
                rows = conn.execute(statement).fetchall()
            return rows
        finally:
            conn.close()

    async def migrate(self, migrations) -> int:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            return sqlite.migrate(conn, NOW, migrations)
        finally:
            conn.close()

    async def tables(self) -> list[tuple]:
        return await self.sql(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "AND name != 'schema_version' ORDER BY name"
        )

    legacy = legacy_schema.SQLITE


class PostgresStore:
    """A PostgreSQL database reached both through the server's storage and raw SQL."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def database(self) -> str:
        return self.dsn

    async def sql(self, *statements: str) -> list[tuple]:
        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        try:
            rows: list[tuple] = []
            for statement in statements:
                rows = [tuple(r) for r in await conn.fetch(statement)]
            return rows
        finally:
            await conn.close()

    async def migrate(self, migrations) -> int:
        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        try:
            return await postgres.migrate(conn, NOW, migrations)
        finally:
            await conn.close()

    async def tables(self) -> list[tuple]:
        return await self.sql(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name != 'schema_version' ORDER BY table_name, column_name"
        )

    legacy = legacy_schema.POSTGRES


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    """An empty store of the parametrised kind."""
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "server.sqlite3")
    dsn = request.getfixturevalue("postgres_dsn")
    return PostgresStore(run(fresh_postgres_database(dsn)))


async def _create_at(store, version: int | str) -> None:
    """Create ``store`` at ``version``: a number, or "legacy" for the pre-migration code."""
    if version == "legacy":
        await store.sql(*[s for s in store.legacy.split(";") if s.strip()])
        await store.sql(legacy_schema.VERSION_ROW)
    else:
        await store.migrate(MIGRATIONS[:version])
    # A live code and a pending key in version 1's columns: data survives the upgrade.
    await store.sql(
        "INSERT INTO codes (digest, report_type, onset_interval, expires_s) "
        f"VALUES ({_literal(store, sha256(b'code').digest())}, 2, NULL, {NOW + 100})",
        "INSERT INTO keys (key_data, rolling_start, rolling_period, report_type) "
        f"VALUES ({_literal(store, bytes(16))}, 2900000, 144, 1)",
    )


def _literal(store, data: bytes) -> str:
    return f"X'{data.hex()}'" if isinstance(store, SqliteStore) else f"'\\x{data.hex()}'::bytea"


async def _versions(store) -> tuple[list[int], str]:
    rows = await store.sql("SELECT version FROM schema_version ORDER BY version")
    (meta,) = await store.sql("SELECT value FROM meta WHERE name = 'schema_version'")
    return [r[0] for r in rows], meta[0]


@pytest.mark.parametrize("version", ["legacy", *range(1, LATEST_VERSION + 1)])
def test_a_store_of_every_earlier_version_upgrades_to_the_latest(store, version):
    async def body():
        await _create_at(store, version)
        storage = await open_storage(store.database())
        try:
            await storage.exchange_code(sha256(b"code").digest(), NOW, b"t" * 32, bytes(32), NOW)
            token = await storage.get_token(b"t" * 32)
            # Keys stored before the server-side embargo existed were past theirs (SRV-6).
            pending = await storage.pending_keys(9, 0)
        finally:
            await storage.close()
        return token, pending, await _versions(store)

    token, pending, (versions, meta) = run(body())
    assert token.report_type == 2
    assert [(p.key.key_data, p.key.rolling_start) for p in pending] == [(bytes(16), 2900000)]
    assert versions == list(range(1, LATEST_VERSION + 1))
    assert meta == str(LATEST_VERSION)


def test_migration_1_is_the_schema_written_before_migrations(store, tmp_path):
    async def tables_of(target, version):
        await _create_at(target, version)
        return await target.tables()

    legacy = run(tables_of(store, "legacy"))
    other = SqliteStore(tmp_path / "v1.sqlite3")
    if isinstance(store, PostgresStore):
        server = store.dsn.rsplit("/", 1)[0]
        other = PostgresStore(run(fresh_postgres_database(server + "/postgres")))
    assert run(tables_of(other, 1)) == legacy


def test_a_newer_store_is_refused_and_left_untouched(store):
    async def body():
        await _create_at(store, LATEST_VERSION)
        await store.migrate((*MIGRATIONS, NEXT))
        before = await store.tables(), await _versions(store)
        with pytest.raises(StorageSchemaTooNewError) as caught:
            await open_storage(store.database())
        return caught.value, before, (await store.tables(), await _versions(store))

    error, before, after = run(body())
    assert after == before
    assert before[1] == (list(range(1, LATEST_VERSION + 2)), str(LATEST_VERSION + 1))
    assert error.code == "storage_schema_too_new"
    assert "\n" not in str(error) and f"version {LATEST_VERSION + 1}" in str(error)


def test_a_failing_migration_changes_nothing(store):
    async def body():
        await _create_at(store, LATEST_VERSION)
        before = await store.tables(), await _versions(store)
        with pytest.raises(Exception):  # noqa: B017 - each database raises its own error
            await store.migrate((*MIGRATIONS, BROKEN))
        return before, (await store.tables(), await _versions(store))

    before, after = run(body())
    assert after == before


def test_a_fresh_store_migrates_in_one_step(store):
    async def body():
        reached = await store.migrate(MIGRATIONS)
        again = await store.migrate(MIGRATIONS)
        return reached, again, await _versions(store)

    reached, again, (versions, meta) = run(body())
    assert reached == again == LATEST_VERSION
    assert versions == list(range(1, LATEST_VERSION + 1)) and meta == str(LATEST_VERSION)


def test_unknown_legacy_versions_and_foreign_databases_are_refused(tmp_path):
    with pytest.raises(StorageError, match="SRV-19"):
        schema.legacy_version("7")
    foreign = tmp_path / "other.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE sightings (x INTEGER)")
    with pytest.raises(StorageError):
        run(open_storage(foreign))
