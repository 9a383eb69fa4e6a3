"""The schema's version table and migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bluezone.reference_node.errors import StoreSchemaError, StoreSchemaTooNewError
from bluezone.reference_node.store import STORE_FILENAME, Store, schema
from tests.reference_node.store.conftest import sighting


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def versions(path: Path) -> list[int]:
    with connect(path) as db:
        rows = db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    return [v for (v,) in rows]


def test_a_new_store_is_at_the_latest_version_with_its_application_id(tmp_path: Path):
    with Store.open(tmp_path) as store:
        path = store.path
    assert versions(path) == list(range(1, schema.LATEST_VERSION + 1))
    with connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone() == (schema.APPLICATION_ID,)


def test_reopening_does_not_migrate_again(tmp_path: Path):
    with Store.open(tmp_path) as store:
        store.insert_sightings([sighting(1)])
    with Store.open(tmp_path) as store:
        assert store.count_sightings() == 1
        path = store.path
    assert versions(path) == list(range(1, schema.LATEST_VERSION + 1))


NEXT = ("ALTER TABLE sightings ADD COLUMN channel INTEGER",)
LATEST = schema.LATEST_VERSION


def test_migrations_run_in_order_and_keep_data(tmp_path: Path):
    path = tmp_path / STORE_FILENAME
    db = connect(path)
    db.execute("BEGIN")
    assert schema.migrate(db, schema.MIGRATIONS) == LATEST
    db.execute("COMMIT")
    db.execute(
        "INSERT INTO sightings (rpi, interval, monotonic_time, wall_time, backend)"
        " VALUES (zeroblob(16), 5, 1.0, 2.0, 'sim')"
    )
    db.execute("BEGIN")
    assert schema.migrate(db, (*schema.MIGRATIONS, NEXT)) == LATEST + 1
    db.execute("COMMIT")
    assert db.execute("SELECT interval, channel FROM sightings").fetchall() == [(5, None)]
    assert versions(path) == list(range(1, LATEST + 2))
    db.close()


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path):
    path = tmp_path / STORE_FILENAME
    with Store.open(tmp_path) as store:
        store.insert_sightings([sighting(1)])
    db = connect(path)
    db.execute("BEGIN")
    broken = (*schema.MIGRATIONS, ("ALTER TABLE sightings ADD COLUMN x INTEGER", "NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        schema.migrate(db, broken)
    db.execute("ROLLBACK")
    columns = [row[1] for row in db.execute("PRAGMA table_info(sightings)")]
    assert "x" not in columns
    db.close()
    assert versions(path) == list(range(1, LATEST + 1))


def test_migrate_refuses_a_newer_schema(tmp_path: Path):
    db = connect(tmp_path / STORE_FILENAME)
    db.execute("BEGIN")
    schema.migrate(db, (*schema.MIGRATIONS, NEXT))
    with pytest.raises(StoreSchemaTooNewError):
        schema.migrate(db, schema.MIGRATIONS)
    db.execute("ROLLBACK")
    db.close()


def test_a_foreign_application_id_is_refused(tmp_path: Path):
    db = connect(tmp_path / STORE_FILENAME)
    db.execute("PRAGMA application_id = 1234")
    with pytest.raises(StoreSchemaError):
        schema.current_version(db)
    db.close()


def test_an_empty_database_is_version_zero(tmp_path: Path):
    db = connect(tmp_path / STORE_FILENAME)
    assert schema.current_version(db) == 0
    db.close()
