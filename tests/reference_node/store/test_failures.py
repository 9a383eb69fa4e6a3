"""Every way the store can fail ends in a typed StoreError, never a crash or a partial write."""

from __future__ import annotations

import errno
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from bluezone.reference_node import errors
from bluezone.reference_node.errors import (
    NodeError,
    StoreCorruptError,
    StoreDiskFullError,
    StoreError,
    StoreIOError,
    StoreLockedError,
)
from bluezone.reference_node.store import STORE_FILENAME, Store
from bluezone.reference_node.store.failures import translate
from tests.reference_node.store.conftest import NOW, sighting

PAGE = 4096


def filled_store(data: Path, count: int = 2000) -> Path:
    """Create a store holding ``count`` sightings, closed cleanly; return its file."""
    with Store.open(data) as store:
        store.insert_sightings([sighting(i) for i in range(count)])
        return store.path


# -- damaged files ---------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_store_corrupt(tmp_path: Path):
    (tmp_path / STORE_FILENAME).write_bytes(random.Random(1).randbytes(3 * PAGE))
    with pytest.raises(StoreCorruptError) as caught:
        Store.open(tmp_path)
    assert caught.value.code == "store_corrupt"
    assert caught.value.sqlite_error == "SQLITE_NOTADB"


def test_a_torn_database_file_is_store_corrupt(tmp_path: Path):
    """A file cut short, as by a torn copy or a failing disk."""
    path = filled_store(tmp_path)
    data = path.read_bytes()
    assert len(data) > 8 * PAGE
    path.write_bytes(data[: len(data) // 2 + 100])
    with pytest.raises(StoreCorruptError):
        Store.open(tmp_path)


@pytest.mark.parametrize("seed", range(3))
def test_a_page_overwritten_with_garbage_is_store_corrupt(tmp_path: Path, seed: int):
    path = filled_store(tmp_path)
    data = bytearray(path.read_bytes())
    pages = len(data) // PAGE
    page = random.Random(seed).randrange(2, pages)
    data[page * PAGE : (page + 1) * PAGE] = random.Random(seed).randbytes(PAGE)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreCorruptError):
        Store.open(tmp_path)


def test_corruption_found_later_is_store_corrupt_too(tmp_path: Path):
    """With the open-time check skipped, reading the damaged table raises, typed."""
    path = filled_store(tmp_path)
    db = sqlite3.connect(path)
    ((root,),) = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'sightings'")
    db.close()
    data = bytearray(path.read_bytes())
    # Break the header of the sightings table's root page (an interior page: 2,000 rows),
    # leaving the schema readable, so opening works and reading the table fails.
    data[(root - 1) * PAGE : (root - 1) * PAGE + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with Store.open(tmp_path, check_integrity=False) as store, pytest.raises(StoreCorruptError):
        store.sightings()


def crash_image(store: Store, target: Path) -> Path:
    """Copy the database and its log while the store is open: what a crash leaves."""
    target.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{store.path}{suffix}", target / f"{STORE_FILENAME}{suffix}")
    return target / f"{STORE_FILENAME}-wal"


def test_a_torn_log_tail_loses_the_last_batch_whole_and_nothing_before(tmp_path: Path):
    with Store.open(tmp_path / "live") as store:
        store.insert_sightings([sighting(i) for i in range(50)])
        store.insert_sightings([sighting(i) for i in range(50, 100)])
        wal = crash_image(store, tmp_path / "image")
    wal.write_bytes(wal.read_bytes()[:-1000])  # the last commit was half written
    with Store.open(tmp_path / "image") as reopened:
        assert reopened.integrity_check() == ["ok"]
        assert [s.rpi for s in reopened.sightings()] == [sighting(i).rpi for i in range(50)]


def test_garbage_after_the_last_commit_in_the_log_is_ignored(tmp_path: Path):
    with Store.open(tmp_path / "live") as store:
        store.insert_sightings([sighting(i) for i in range(50)])
        wal = crash_image(store, tmp_path / "image")
    with wal.open("ab") as log:
        log.write(random.Random(2).randbytes(5000))
    with Store.open(tmp_path / "image") as reopened:
        assert reopened.integrity_check() == ["ok"]
        assert reopened.count_sightings() == 50


# -- schema ----------------------------------------------------------------------------------


def test_a_database_of_another_application_is_refused(tmp_path: Path):
    with sqlite3.connect(tmp_path / STORE_FILENAME) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
    other.close()
    with pytest.raises(errors.StoreSchemaError) as caught:
        Store.open(tmp_path)
    assert caught.value.code == "store_schema_unknown"


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path):
    path = filled_store(tmp_path, 10)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_version VALUES (99, 0)")
    db.close()
    before = path.read_bytes()
    with pytest.raises(errors.StoreSchemaTooNewError) as caught:
        Store.open(tmp_path)
    assert caught.value.code == "store_schema_too_new"
    assert path.read_bytes() == before


# -- locks, space, directories ---------------------------------------------------------------


def test_a_second_opener_gets_store_locked(tmp_path: Path):
    with Store.open(tmp_path) as first:
        first.insert_sightings([sighting(1)])
        with pytest.raises(StoreLockedError) as caught:
            Store.open(tmp_path, busy_timeout_s=0.05)
        assert caught.value.code == "store_locked"
        assert first.count_sightings() == 1
    with Store.open(tmp_path, busy_timeout_s=0.05) as again:
        assert again.count_sightings() == 1


def test_a_full_disk_fails_the_batch_whole_and_the_store_recovers(tmp_path: Path):
    with Store.open(tmp_path, max_size_bytes=48 * PAGE) as store:
        batches = 0
        with pytest.raises(StoreDiskFullError) as caught:
            while True:
                store.insert_sightings(
                    [sighting(batches * 100 + i, NOW - 3000) for i in range(100)]
                )
                batches += 1
        assert caught.value.code == "store_disk_full"
        assert batches > 0
        assert store.count_sightings() == batches * 100
        assert store.integrity_check() == ["ok"]
        store.prune(NOW)
        store.insert_sightings([sighting(i) for i in range(100)])
        assert store.count_sightings() == 100


def test_a_data_directory_that_is_a_file_is_store_io(tmp_path: Path):
    (tmp_path / "data").write_text("not a directory")
    with pytest.raises(StoreIOError):
        Store.open(tmp_path / "data")


def test_an_old_sqlite_is_refused_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    with pytest.raises(StoreError, match=r"3\.37"):
        Store.open(tmp_path)


# -- the mapping itself ----------------------------------------------------------------------


def sqlite_error(code: int, name: str) -> sqlite3.Error:
    exc = sqlite3.OperationalError("message with row data 00112233")
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    exc.sqlite_errorname = name  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        (sqlite3.SQLITE_CORRUPT, "SQLITE_CORRUPT", StoreCorruptError),
        (sqlite3.SQLITE_NOTADB, "SQLITE_NOTADB", StoreCorruptError),
        (sqlite3.SQLITE_BUSY, "SQLITE_BUSY", StoreLockedError),
        (sqlite3.SQLITE_LOCKED, "SQLITE_LOCKED", StoreLockedError),
        (sqlite3.SQLITE_FULL, "SQLITE_FULL", StoreDiskFullError),
        (sqlite3.SQLITE_IOERR | (4 << 8), "SQLITE_IOERR_FSYNC", StoreIOError),
        (sqlite3.SQLITE_CANTOPEN, "SQLITE_CANTOPEN", StoreIOError),
        (sqlite3.SQLITE_READONLY, "SQLITE_READONLY", StoreIOError),
        (sqlite3.SQLITE_CONSTRAINT, "SQLITE_CONSTRAINT", errors.InvalidRecordError),
        (sqlite3.SQLITE_ERROR, "SQLITE_ERROR", StoreError),
    ],
)
def test_sqlite_errors_map_to_typed_store_errors(code: int, name: str, kind: type):
    mapped = translate(sqlite_error(code, name), "insert sightings")
    assert type(mapped) is kind
    assert mapped.sqlite_error == name
    assert "insert sightings" in str(mapped)
    assert "00112233" not in str(mapped)  # SQLite's message is not passed on


@pytest.mark.parametrize(
    ("err", "kind"),
    [(errno.ENOSPC, StoreDiskFullError), (errno.EACCES, StoreIOError), (errno.EIO, StoreIOError)],
)
def test_os_errors_map_to_typed_store_errors(err: int, kind: type):
    assert type(translate(OSError(err, "boom"), "open the store")) is kind


def test_every_store_error_is_a_node_error_with_its_own_code():
    classes = [
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, NodeError) and obj is not NodeError
    ]
    assert len(classes) >= 12
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes)
    assert all(code.islower() and " " not in code for code in codes)
    assert NodeError.code == "node_error"
