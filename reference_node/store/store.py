"""The node's store: one SQLite file in WAL mode under the node's data directory.

Every logical write is one transaction, committed with ``synchronous=FULL``: once a
method returns, its write survives a kill -9 or a power cut, and a write interrupted
at any moment leaves no trace. The store is synchronous and bound to the thread that
opened it; the event loop uses it through ``AsyncStore``, which owns that thread.

One process holds the store at a time (SQLite's exclusive locking mode): a second node
on the same data directory gets StoreLockedError. Deleted rows are overwritten in the
file (``secure_delete``) and ``prune`` truncates the write-ahead log, so data past its
retention does not linger on disk. Every failure is a StoreError subclass.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.matching import Sighting
from bluezone.reference_node.errors import (
    InvalidRecordError,
    StoreClosedError,
    StoreCorruptError,
    StoreError,
    StoreIOError,
)
from bluezone.reference_node.store import (
    checks,
    own_keys,
    retention,
    scans,
    schema,
    server_logs,
    sightings,
    uploads,
)
from bluezone.reference_node.store.failures import translate
from bluezone.reference_node.store.records import (
    BatchRecord,
    CachedBatch,
    ExposureCheckRecord,
    PruneResult,
    ScanRecord,
    ServerLogState,
    SightingRecord,
    StoredExposureCheck,
    StoredKey,
    StoredReport,
    StoredScan,
    StoredSighting,
    StoredUpload,
    UploadRecord,
)

STORE_FILENAME = "node.sqlite3"
# STRICT tables need SQLite 3.37 (2021-11).
MIN_SQLITE_VERSION = (3, 37, 0)
DEFAULT_BUSY_TIMEOUT_S = 5.0
# The write-ahead log is cut back to this size after a checkpoint.
WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024

T = TypeVar("T")


class Store:
    """The node's durable state: own keys, sightings, reports, batches, exposure checks.

    Open with ``Store.open(data_dir)``; close with ``close()`` or a ``with`` block.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        """Wrap an open, migrated connection; use ``Store.open`` instead."""
        self._connection: sqlite3.Connection | None = connection
        self._path = path
        self._depth = 0

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str],
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        max_size_bytes: int | None = None,
        check_integrity: bool = True,
    ) -> Store:
        """Open (creating if needed) the store in ``data_dir`` and bring its schema up to date.

        A new data directory is created private to the user (mode 0700), a new database
        file too (0600). ``busy_timeout_s``
        is how long to wait for another process to let go of the store; ``max_size_bytes``
        caps the database file (writes past it fail with StoreDiskFullError);
        ``check_integrity`` runs SQLite's quick_check first. Raises StoreCorruptError,
        StoreLockedError, StoreSchemaError, StoreSchemaTooNewError or StoreIOError.
        """
        if sqlite3.sqlite_version_info < MIN_SQLITE_VERSION:
            raise StoreError(f"the store needs SQLite >= 3.37, found {sqlite3.sqlite_version}")
        path = Path(data_dir) / STORE_FILENAME
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not path.exists():
                # Private from the start; SQLite gives its log the same mode.
                path.touch(mode=0o600)
            connection = sqlite3.connect(
                path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=True
            )
        except (OSError, sqlite3.Error) as exc:
            raise translate(exc, "open the store") from exc
        try:
            _configure(connection, max_size_bytes)
            if check_integrity:
                _quick_check(connection)
            store = cls(connection, path)
            with store._write("migrate the schema") as conn:
                schema.migrate(conn)
        except BaseException as exc:
            connection.close()
            if isinstance(exc, sqlite3.Error | OSError):
                raise translate(exc, "open the store") from exc
            raise
        return store

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def close(self) -> None:
        """Checkpoint and close the database; later calls raise StoreClosedError."""
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        try:
            connection.close()
        except sqlite3.Error as exc:
            raise translate(exc, "close the store") from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._connection is None else "open"
        return f"Store({str(self._path)!r}, {state})"

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Group several writes into one transaction: all of them commit, or none.

        Store methods called inside the block join it. Do not hold it across an await.
        """
        with self._write("transaction"):
            yield self

    # -- own keys (spec KS-3, KS-11, KS-13) -----------------------------------------------

    def add_own_key(self, key: TemporaryExposureKey, created_wall_time: float) -> StoredKey:
        """Store one of the device's keys durably; it may be broadcast once this returns.

        Raises InvalidRecordError if the same key data is already held (KS-14).
        """
        with self._write("add an own key") as conn:
            return own_keys.add(conn, key, created_wall_time)

    def cut_own_key(self, key_id: int, rolling_period: int) -> StoredKey:
        """Shorten an own key's rolling period after a report (spec KS-13)."""
        with self._write("cut an own key") as conn:
            return own_keys.cut(conn, key_id, rolling_period)

    def delete_own_key(self, key_id: int) -> None:
        """Delete one own key (and its place in any report)."""
        with self._write("delete an own key") as conn:
            own_keys.delete(conn, key_id)

    def own_keys(self) -> list[StoredKey]:
        """Return the device's keys, oldest rolling start first."""
        return self._read("read own keys", own_keys.select)

    def own_key_at(self, interval: int) -> StoredKey | None:
        """Return the newest own key whose period holds ``interval``, or None."""
        return self._read("read own keys", own_keys.at, interval)

    # -- sightings (spec ADV-13, ADV-14, MATCH-6) -----------------------------------------

    def insert_sightings(self, records: Sequence[SightingRecord]) -> int:
        """Insert a batch of sightings in one transaction; return how many.

        All of the batch is durable once this returns, and none of it if it raises.
        """
        with self._write("insert sightings") as conn:
            return sightings.insert(conn, records)

    def sightings(
        self, first_interval: int | None = None, end_interval: int | None = None
    ) -> list[StoredSighting]:
        """Return sightings with ``first_interval <= interval < end_interval``, oldest first."""
        return self._read("read sightings", sightings.select, first_interval, end_interval)

    def sightings_for_matching(self, now_interval: int) -> list[Sighting]:
        """Return the sightings still kept at ``now_interval`` for the matching engine.

        spec MATCH-6: sightings older than 14 days are never matched, pruned or not.
        """
        first = retention.cutoff(now_interval)
        return self._read("read sightings", sightings.select_for_matching, first)

    def count_sightings(self) -> int:
        """Return how many sightings the store holds."""
        return self._read("count sightings", sightings.count)

    def sightings_with_address(self, limit: int | None = None) -> list[StoredSighting]:
        """Return sightings not yet aggregated (they still carry an address), oldest first."""
        return self._read("read sightings", sightings.with_address, limit)

    def clear_addresses(self, through_id: int) -> int:
        """Forget addresses of sightings up to ``through_id`` once aggregated (spec ADV-14)."""
        with self._write("clear addresses") as conn:
            return sightings.clear_addresses(conn, through_id)

    # -- scans (spec RISK-4) ----------------------------------------------------------------

    def add_scan(self, scan: ScanRecord) -> StoredScan:
        """Record one scan of the radio, including a scan that heard nothing (RISK-4)."""
        with self._write("add a scan") as conn:
            return scans.insert(conn, scan)

    def scans(self, first_interval: int | None = None) -> list[StoredScan]:
        """Return the scans that started at ``first_interval`` or later, oldest first."""
        return self._read("read scans", scans.select, first_interval)

    def last_scan_end(self) -> float | None:
        """Return the end (unix seconds) of the latest scan recorded, or None."""
        return self._read("read scans", scans.last_end)

    # -- reports (spec KS-12, KS-13) ------------------------------------------------------

    def add_report(
        self, made_interval: int, made_wall_time: float, key_ids: Sequence[int]
    ) -> StoredReport:
        """Record a report covering these own keys, none uploaded yet (spec KS-13)."""
        with self._write("add a report") as conn:
            return own_keys.add_report(conn, made_interval, made_wall_time, key_ids)

    def reports(self) -> list[StoredReport]:
        """Return every report held, oldest first."""
        return self._read("read reports", own_keys.reports)

    def keys_due_for_upload(self, now_interval: int) -> list[tuple[int, StoredKey]]:
        """Return (report id, key) for reported keys past their embargo (spec KS-12, KS-13)."""
        return self._read("read reports", own_keys.due_for_upload, now_interval)

    def mark_uploaded(self, report_id: int, key_ids: Sequence[int], wall_time: float) -> None:
        """Record that these keys of a report were uploaded; each must be pending."""
        with self._write("mark keys uploaded") as conn:
            own_keys.mark_uploaded(conn, report_id, key_ids, wall_time)

    # -- uploads to a key server (spec KS-13, SRV-4..SRV-7) ------------------------------

    def add_upload(self, upload: UploadRecord) -> StoredUpload:
        """Record a planned upload of some of a report's keys (its HMAC secret drawn)."""
        _require(upload, UploadRecord)
        with self._write("add an upload") as conn:
            return uploads.add(conn, upload)

    def upload(self, report_id: int) -> StoredUpload:
        """Return the upload of a report; InvalidRecordError if it has none."""
        return self._read("read uploads", uploads.get, report_id)

    def uploads(self) -> list[StoredUpload]:
        """Return every upload held, oldest report first."""
        return self._read("read uploads", uploads.select)

    def set_upload_token(self, report_id: int, token: bytes, expires_s: int) -> StoredUpload:
        """Store the token the code was exchanged for (SRV-4)."""
        with self._write("store an upload token") as conn:
            return uploads.set_token(conn, report_id, token, expires_s)

    def finish_upload(
        self,
        report_id: int,
        accepted: int,
        wall_time: float,
        dropped_key_ids: tuple[int, ...] = (),
    ) -> StoredUpload:
        """Record that an upload's keys went up, and mark each key uploaded (KS-13, SRV-21)."""
        with self._write("finish an upload") as conn:
            return uploads.finish(conn, report_id, accepted, wall_time, dropped_key_ids)

    def fail_upload(self, report_id: int, failure: str) -> StoredUpload:
        """Record that an upload cannot happen; ``failure`` is the error code."""
        with self._write("fail an upload") as conn:
            return uploads.fail(conn, report_id, failure)

    def uploaded_key_ids(self) -> set[int]:
        """Return the ids of own keys that some report already uploaded."""
        return self._read("read reports", uploads.uploaded_key_ids)

    def own_key(self, key_id: int) -> StoredKey:
        """Return one own key by id; InvalidRecordError if it is not held."""
        return self._read("read own keys", own_keys.get, key_id)

    # -- transparency logs (spec SRV-17, LOG-11) ------------------------------------------

    def server_log(self, origin: str) -> ServerLogState | None:
        """Return the checkpoint last accepted from the log ``origin``, or None."""
        return self._read("read server logs", server_logs.state, origin)

    def save_server_log(self, state: ServerLogState, batches: Sequence[CachedBatch]) -> None:
        """Store an accepted checkpoint and the batches verified under it, together."""
        _require(state, ServerLogState)
        for batch in batches:
            _require(batch, CachedBatch)
        with self._write("save a server log") as conn:
            server_logs.save(conn, state, batches)

    def server_batches(self, origin: str, since_s: int = 0) -> list[CachedBatch]:
        """Return the verified batches of ``origin`` that ended at ``since_s`` or later."""
        return self._read("read server batches", server_logs.batches, origin, since_s)

    # -- downloaded batches and exposure checks (spec MATCH-10) ---------------------------

    def record_batch(self, batch: BatchRecord) -> bool:
        """Record a downloaded batch; return False if already seen with the same hash.

        Raises BatchConflictError if the id was seen before with a different hash.
        """
        _require(batch, BatchRecord)
        with self._write("record a batch") as conn:
            return checks.record_batch(conn, batch)

    def batch(self, batch_id: str) -> BatchRecord | None:
        """Return the batch seen under ``batch_id``, or None."""
        return self._read("read batches", checks.batch, batch_id)

    def batches(self) -> list[BatchRecord]:
        """Return every batch seen, in the order they were seen."""
        return self._read("read batches", checks.batches)

    def add_exposure_check(self, check: ExposureCheckRecord) -> StoredExposureCheck:
        """Record the outcome of one exposure check."""
        _require(check, ExposureCheckRecord)
        with self._write("add an exposure check") as conn:
            return checks.add_check(conn, check)

    def exposure_checks(self) -> list[StoredExposureCheck]:
        """Return every exposure check held, oldest first."""
        return self._read("read exposure checks", checks.checks)

    # -- retention and health -------------------------------------------------------------

    def prune(self, now_interval: int) -> PruneResult:
        """Delete what is older than 14 days at ``now_interval`` (spec MATCH-6, KS-11).

        Outside a ``transaction()`` block this also checkpoints and truncates the
        write-ahead log, so the deleted rows leave the disk.
        """
        with self._write("prune") as conn:
            result = retention.prune(conn, now_interval)
        if self._depth == 0:
            self._read("checkpoint", _checkpoint)
        return result

    def integrity_check(self) -> list[str]:
        """Return SQLite's full integrity check: ``["ok"]`` for a sound database."""
        return self._read("check integrity", _integrity_check)

    # -- plumbing -------------------------------------------------------------------------

    def _open_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreClosedError("the store is closed")
        return self._connection

    @contextmanager
    def _write(self, operation: str) -> Iterator[sqlite3.Connection]:
        connection = self._open_connection()
        outermost = self._depth == 0
        if outermost:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate(exc, operation) from exc
        self._depth += 1
        try:
            yield connection
            if outermost:
                connection.execute("COMMIT")
        except BaseException as exc:
            if outermost:
                _rollback(connection)
            if isinstance(exc, sqlite3.Error | OSError | ProtocolError):
                raise _translate(exc, operation) from exc
            raise
        finally:
            self._depth -= 1

    def _read(self, operation: str, query: Callable[..., T], *args: object) -> T:
        connection = self._open_connection()
        try:
            return query(connection, *args)
        except (sqlite3.Error, OSError, ProtocolError) as exc:
            raise _translate(exc, operation) from exc


def _translate(exc: BaseException, operation: str) -> StoreError:
    if isinstance(exc, ProtocolError):
        # Rows are checked on the way in, so a row that fails the protocol's checks on the
        # way out was damaged on disk.
        return StoreCorruptError(f"{operation}: a stored row is invalid ({exc.code})")
    return translate(exc, operation)


def _require(record: object, kind: type) -> None:
    if not isinstance(record, kind):
        raise InvalidRecordError(f"expected a {kind.__name__}, got {type(record).__name__}")


def _configure(connection: sqlite3.Connection, max_size_bytes: int | None) -> None:
    # Exclusive locking before the first access: one process owns the file, and WAL then
    # keeps its index in process memory (no -shm file to get out of step).
    connection.execute("PRAGMA locking_mode = EXCLUSIVE")
    (mode,) = connection.execute("PRAGMA journal_mode = WAL").fetchone()
    if str(mode).lower() != "wal":
        raise StoreIOError(f"the file system does not support WAL mode (got {mode})")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA secure_delete = ON")
    connection.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
    if max_size_bytes is not None:
        (page_size,) = connection.execute("PRAGMA page_size").fetchone()
        pages = max(1, int(max_size_bytes) // int(page_size))
        connection.execute(f"PRAGMA max_page_count = {pages}")


def _quick_check(connection: sqlite3.Connection) -> None:
    rows = connection.execute("PRAGMA quick_check").fetchall()
    if rows != [("ok",)]:
        raise StoreCorruptError(f"the database file is damaged ({len(rows)} problems found)")


def _integrity_check(connection: sqlite3.Connection) -> list[str]:
    return [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]


def _checkpoint(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def _rollback(connection: sqlite3.Connection) -> None:
    # SQLite may already have rolled back (e.g. after SQLITE_FULL); nothing to undo then.
    if connection.in_transaction:
        with suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
