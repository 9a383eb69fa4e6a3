"""SQLite storage for the key server: one file, WAL, every call in one thread (spec SRV-10).

Calls queue to a dedicated thread. The thread takes every queued call, runs each in its own
savepoint inside one transaction and commits once (group commit): an upload is answered only
after the commit that holds it, yet hundreds of uploads share one fsync. A call that fails
rolls back its savepoint only; a commit that fails fails every call of the group.
"""

from __future__ import annotations

import asyncio
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bluezone.protocol.errors import InvalidReportTypeTransitionError
from bluezone.protocol.params import EMBARGO_INTERVALS
from bluezone.reference_node.server.errors import (
    CodeExpiredError,
    CodeNotFoundError,
    CodeUsedError,
    NotFoundError,
    QuotaExceededError,
    StaffExistsError,
    StorageError,
    TokenExpiredError,
    TokenNotFoundError,
    TokenUsedError,
)
from bluezone.reference_node.server.storage import schema
from bluezone.reference_node.server.storage.base import (
    BATCHES,
    CODES_ISSUED,
    CODES_USED,
    KEYS_PUBLISHED,
    KEYS_UPLOADED,
    UPLOADS,
    AuditEvent,
    BatchRecord,
    CheckpointRecord,
    CodeKind,
    CodeStatus,
    NewKey,
    PendingKey,
    Revision,
    StaffRecord,
    Storage,
    StoredKeyState,
    TokenRecord,
    random_row_id,
    session_alive,
    utc_day,
)

T = TypeVar("T")

# How many queued calls one transaction may hold before it commits.
MAX_GROUP = 512

_BATCH_COLUMNS = (
    "number, leaf_hash, export_bin_sha256, archive_sha256, archive_size, start_s, end_s, key_count"
)
_STAFF_COLUMNS = (
    "id, username, role, password_hash, totp_secret, totp_last_step, failed_logins, "
    "locked_until_s, disabled, must_change_password, created_s"
)


def restrict_file_modes(path: Path) -> None:
    """Create the database file readable by its owner only; narrow existing files (SRV-8).

    SQLite gives its WAL and shared-memory files the database file's mode.
    """
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        file = path.with_name(path.name + suffix)
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)


def schema_version(conn: sqlite3.Connection) -> tuple[int, bool]:
    """Return the store's schema version (0 when empty) and whether it has a version table."""
    tables = {
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if "schema_version" in tables:
        (version,) = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        return int(version), True
    if "meta" in tables:
        row = conn.execute(
            "SELECT value FROM meta WHERE name = ?", (schema.LEGACY_VERSION_NAME,)
        ).fetchone()
        return schema.legacy_version(None if row is None else row[0]), False
    if tables - {"sqlite_sequence"}:
        raise StorageError("SRV-19: the database holds tables but is not a key-server database")
    return 0, False


def migrate(
    conn: sqlite3.Connection,
    now_s: int,
    migrations: Sequence[Sequence[str]] = schema.MIGRATIONS,
) -> int:
    """Bring the schema to the last of ``migrations`` in one transaction (spec SRV-19).

    Returns the version reached. Raises StorageSchemaTooNewError, writing nothing, when the
    store is newer than ``migrations``; a failing migration rolls back every step.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        version, has_table = schema_version(conn)
        for statement in schema.upgrade(version, has_table, "sqlite", now_s, migrations):
            conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(migrations)


class _Call:
    __slots__ = ("error", "fn", "future", "loop", "result")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any], loop, future) -> None:
        self.fn = fn
        self.loop = loop
        self.future = future
        self.result: Any = None
        self.error: BaseException | None = None


def _resolve(call: _Call) -> None:
    if call.future.cancelled():
        return
    if call.error is not None:
        call.future.set_exception(call.error)
    else:
        call.future.set_result(call.result)


class SqliteStorage(Storage):
    """Key-server storage in one SQLite file (WAL); see the module docstring."""

    def __init__(self, path: Path, durable: bool = True) -> None:
        """Prefer ``SqliteStorage.open``; this only records the settings."""
        self._path = path
        self._durable = durable
        self._queue: queue.Queue[_Call | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._open_error: BaseException | None = None

    @classmethod
    async def open(cls, path: str | os.PathLike[str], durable: bool = True) -> SqliteStorage:
        """Open or create the database at ``path`` and start its thread.

        ``durable`` (the default) fsyncs every commit (synchronous=FULL), so an answered
        upload survives a power cut; without it, only a process crash (synchronous=NORMAL).
        """
        storage = cls(Path(path), durable)
        storage._thread = threading.Thread(
            target=storage._run, name="bluezone-server-sqlite", daemon=True
        )
        storage._thread.start()
        await asyncio.get_running_loop().run_in_executor(None, storage._ready.wait)
        if isinstance(storage._open_error, StorageError):
            raise storage._open_error
        if storage._open_error is not None:
            raise StorageError("cannot open the server database") from storage._open_error
        return storage

    def _connect(self) -> sqlite3.Connection:
        restrict_file_modes(self._path)
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=True)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if self._durable else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        # spec SRV-27: deleted rows are overwritten with zeros, not left in free pages.
        conn.execute("PRAGMA secure_delete=ON")
        try:
            migrate(conn, int(time.time()))
        except BaseException:
            conn.close()
            raise
        return conn

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # reported to open()
            self._open_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                group = [first]
                stop = False
                while len(group) < MAX_GROUP:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    group.append(more)
                self._run_group(conn, group)
                if stop:
                    return
        finally:
            conn.close()

    def _run_group(self, conn: sqlite3.Connection, group: list[_Call]) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            for call in group:
                conn.execute("SAVEPOINT call")
                try:
                    call.result = call.fn(conn)
                except Exception as exc:
                    conn.execute("ROLLBACK TO call")
                    call.error = exc
                conn.execute("RELEASE call")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for call in group:
                call.error = StorageError("the server database failed; nothing was stored")
                call.error.__cause__ = exc
        for call in group:
            call.loop.call_soon_threadsafe(_resolve, call)

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._thread is None or not self._thread.is_alive():
            raise StorageError("the server database is closed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put(_Call(fn, loop, future))
        return await future

    async def close(self) -> None:
        """Commit what is queued, then stop the thread and close the database."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join)

    async def get_meta(self, name: str) -> str | None:
        """Return a stored configuration value or None."""

        def fn(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
            return None if row is None else row[0]

        return await self._call(fn)

    async def set_meta(self, name: str, value: str) -> None:
        """Store a configuration value."""
        await self._call(
            lambda conn: conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
        )

    async def add_code(
        self,
        code_digest: bytes,
        report_type: int,
        onset_interval: int | None,
        expires_s: int,
        exposure_interval: int | None = None,
        revision: bool = False,
        *,
        now_s: int,
        daily_quota: int | None = None,
    ) -> bool:
        """Store a new code unless its digest exists (spec SRV-3, SRV-20), and count it.

        The daily quota is PORTAL-10: the count and the code are one transaction.
        """

        def fn(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO codes (digest, report_type, onset_interval, expires_s) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                (code_digest, report_type, onset_interval, expires_s),
            )
            if cursor.rowcount != 1:
                return False
            issued = _count(conn, utc_day(now_s), CODES_ISSUED, 1)
            if daily_quota is not None and issued > daily_quota:
                raise QuotaExceededError("PORTAL-10: the daily quota of codes is used up")
            if exposure_interval is not None or revision:
                conn.execute(
                    "INSERT INTO code_kinds VALUES (?, ?, ?)",
                    (code_digest, exposure_interval, int(revision)),
                )
            return True

        return await self._call(fn)

    async def exchange_code(
        self,
        code_digest: bytes,
        now_s: int,
        token_digest: bytes,
        key_hmac: bytes,
        token_expires_s: int,
    ) -> None:
        """Use the code and store the token in one transaction (spec SRV-4)."""

        def fn(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT report_type, onset_interval, expires_s, used FROM codes WHERE digest = ?",
                (code_digest,),
            ).fetchone()
            if row is None:
                raise CodeNotFoundError("SRV-4: no such code")
            report_type, onset, expires_s, used = row
            if used:
                raise CodeUsedError("SRV-4: the code was already used")
            if now_s >= expires_s:
                raise CodeExpiredError("SRV-4: the code expired")
            conn.execute("UPDATE codes SET used = 1 WHERE digest = ?", (code_digest,))
            conn.execute(
                "INSERT INTO tokens (digest, key_hmac, report_type, onset_interval, expires_s) "
                "VALUES (?, ?, ?, ?, ?)",
                (token_digest, key_hmac, report_type, onset, token_expires_s),
            )
            kind = conn.execute(
                "SELECT exposure_interval, revision FROM code_kinds WHERE digest = ?",
                (code_digest,),
            ).fetchone()
            if kind is not None:
                conn.execute("INSERT INTO token_kinds VALUES (?, ?, ?)", (token_digest, *kind))
            _count(conn, utc_day(now_s), CODES_USED, 1)

        await self._call(fn)

    async def peek_code(self, code_digest: bytes) -> CodeKind | None:
        """Return a code's kind without using it (spec GAPI-3)."""

        def fn(conn: sqlite3.Connection) -> CodeKind | None:
            row = conn.execute(
                "SELECT report_type, onset_interval FROM codes WHERE digest = ?", (code_digest,)
            ).fetchone()
            if row is None:
                return None
            kind = conn.execute(
                "SELECT exposure_interval, revision FROM code_kinds WHERE digest = ?",
                (code_digest,),
            ).fetchone()
            exposure, revision = kind if kind is not None else (None, 0)
            return CodeKind(row[0], row[1], exposure, bool(revision))

        return await self._call(fn)

    async def bind_token(
        self, token_digest: bytes, now_s: int, key_hmac: bytes, unbound: bytes
    ) -> TokenRecord:
        """Bind an unbound token to a key-list HMAC in one transaction (spec GAPI-4)."""

        def fn(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT expires_s, used, key_hmac FROM tokens WHERE digest = ?", (token_digest,)
            ).fetchone()
            if row is None:
                raise TokenNotFoundError("GAPI-4: no such token")
            if row[1] or bytes(row[2]) != unbound:
                raise TokenUsedError("GAPI-4: the token was already used")
            if now_s >= row[0]:
                raise TokenExpiredError("GAPI-4: the token expired")
            conn.execute(
                "UPDATE tokens SET key_hmac = ? WHERE digest = ?", (key_hmac, token_digest)
            )

        await self._call(fn)
        return await self.get_token(token_digest)

    async def get_token(self, token_digest: bytes) -> TokenRecord:
        """Return a token's record (spec SRV-7)."""

        def fn(conn: sqlite3.Connection) -> TokenRecord:
            row = conn.execute(
                "SELECT key_hmac, report_type, onset_interval, expires_s, used FROM tokens "
                "WHERE digest = ?",
                (token_digest,),
            ).fetchone()
            if row is None:
                raise TokenNotFoundError("SRV-7: no such token")
            kind = conn.execute(
                "SELECT exposure_interval, revision FROM token_kinds WHERE digest = ?",
                (token_digest,),
            ).fetchone()
            exposure, revision = kind if kind is not None else (None, 0)
            return TokenRecord(
                bytes(row[0]), row[1], row[2], row[3], bool(row[4]), exposure, bool(revision)
            )

        return await self._call(fn)

    async def use_token(self, token_digest: bytes, now_s: int, keys: Sequence[NewKey]) -> int:
        """Use the token and store its keys in one transaction (spec SRV-7)."""
        rows = [
            (
                k.key_data,
                k.rolling_start,
                k.rolling_period,
                k.report_type,
                k.days_since_onset,
                k.rolling_start + k.rolling_period + EMBARGO_INTERVALS,
                random_row_id(),
            )
            for k in keys
        ]

        tags = [k.revision_tag for k in keys]

        def fn(conn: sqlite3.Connection) -> int:
            _spend_token(conn, token_digest, now_s)
            added = 0
            for row, tag in zip(rows, tags, strict=True):
                cursor = conn.execute(
                    "INSERT INTO keys (key_data, rolling_start, rolling_period, report_type, "
                    "days_since_onset, publish_after, id) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (key_data) DO NOTHING",
                    row,
                )
                added += cursor.rowcount
                # spec SRV-23: only the upload that stored a key gives it a tag, so the
                # replay of a published key by another upload never makes it revisable.
                if cursor.rowcount == 1 and tag is not None:
                    conn.execute("INSERT INTO key_tags VALUES (?, ?)", (row[0], tag))
            _count(conn, utc_day(now_s), UPLOADS, 1)
            _count(conn, utc_day(now_s), KEYS_UPLOADED, added)
            return added

        return await self._call(fn)

    async def key_states(self, key_data: Sequence[bytes]) -> list[StoredKeyState | None]:
        """Return each key's current state and revision tag (spec SRV-24)."""

        def fn(conn: sqlite3.Connection) -> list[StoredKeyState | None]:
            states: list[StoredKeyState | None] = []
            for data in key_data:
                row = conn.execute(
                    "SELECT k.rolling_start, k.rolling_period, k.report_type, "
                    "k.days_since_onset, t.tag FROM keys k "
                    "LEFT JOIN key_tags t ON t.key_data = k.key_data WHERE k.key_data = ?",
                    (data,),
                ).fetchone()
                if row is None:
                    states.append(None)
                    continue
                tag = None if row[4] is None else bytes(row[4])
                states.append(StoredKeyState(NewKey(data, row[0], row[1], row[2], row[3], tag)))
            return states

        return await self._call(fn)

    async def revise(self, token_digest: bytes, now_s: int, revisions: Sequence[Revision]) -> int:
        """Use the revision token, update report types, queue the revisions (SRV-24)."""

        def fn(conn: sqlite3.Connection) -> int:
            _spend_token(conn, token_digest, now_s)
            for revision in revisions:
                key = revision.key
                cursor = conn.execute(
                    "UPDATE keys SET report_type = ? WHERE key_data = ? AND report_type IS ?",
                    (key.report_type, key.key_data, revision.current),
                )
                if cursor.rowcount != 1:
                    raise InvalidReportTypeTransitionError("SRV-24: the key was revised meanwhile")
                conn.execute(
                    "INSERT INTO revisions (key_data, rolling_start, rolling_period, report_type,"
                    " days_since_onset) VALUES (?, ?, ?, ?, ?)",
                    (
                        key.key_data,
                        key.rolling_start,
                        key.rolling_period,
                        key.report_type,
                        key.days_since_onset,
                    ),
                )
            _count(conn, utc_day(now_s), UPLOADS, 1)
            return len(revisions)

        return await self._call(fn)

    async def pending_revisions(self, limit: int) -> list[PendingKey]:
        """Return up to ``limit`` unpublished revisions, oldest first (SRV-25)."""

        def fn(conn: sqlite3.Connection) -> list[PendingKey]:
            cursor = conn.execute(
                "SELECT id, key_data, rolling_start, rolling_period, report_type, "
                "days_since_onset FROM revisions WHERE batch IS NULL ORDER BY id LIMIT ?",
                (limit,),
            )
            return [PendingKey(r[0], NewKey(bytes(r[1]), r[2], r[3], r[4], r[5])) for r in cursor]

        return await self._call(fn)

    async def pending_keys(self, limit: int, now_interval: int) -> list[PendingKey]:
        """Return up to ``limit`` publishable, unpublished keys, by row id (SRV-6, SRV-8)."""

        def fn(conn: sqlite3.Connection) -> list[PendingKey]:
            cursor = conn.execute(
                "SELECT id, key_data, rolling_start, rolling_period, report_type, "
                "days_since_onset FROM keys WHERE batch IS NULL AND publish_after <= ? "
                "ORDER BY id LIMIT ?",
                (now_interval, limit),
            )
            return [PendingKey(r[0], NewKey(bytes(r[1]), r[2], r[3], r[4], r[5])) for r in cursor]

        return await self._call(fn)

    async def pending_count(self, now_interval: int) -> int:
        """Return how many publishable keys and revisions wait for publication (SRV-6)."""
        return await self._call(
            lambda conn: conn.execute(
                "SELECT (SELECT count(*) FROM keys WHERE batch IS NULL AND publish_after <= ?)"
                " + (SELECT count(*) FROM revisions WHERE batch IS NULL)",
                (now_interval,),
            ).fetchone()[0]
        )

    async def add_batch(
        self,
        batch: BatchRecord,
        archive: bytes,
        row_ids: Sequence[int],
        checkpoint: CheckpointRecord,
        revision_ids: Sequence[int] = (),
    ) -> None:
        """Record a batch with its keys and checkpoint in one transaction (spec SRV-10)."""
        ids = [(batch.number, row_id) for row_id in row_ids]
        revised = [(batch.number, row_id) for row_id in revision_ids]

        def fn(conn: sqlite3.Connection) -> None:
            count = conn.execute("SELECT count(*) FROM batches").fetchone()[0]
            if count != batch.number or checkpoint.tree_size != batch.number + 1:
                raise StorageError("SRV-10: the batch number is not the next leaf index")
            conn.execute(
                f"INSERT INTO batches ({_BATCH_COLUMNS}, archive) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    batch.number,
                    batch.leaf_hash,
                    batch.export_bin_sha256,
                    batch.archive_sha256,
                    batch.archive_size,
                    batch.start_s,
                    batch.end_s,
                    batch.key_count,
                    archive,
                ),
            )
            before = conn.total_changes
            conn.executemany("UPDATE keys SET batch = ? WHERE id = ? AND batch IS NULL", ids)
            if conn.total_changes - before != len(ids):
                raise StorageError("SRV-10: a key of the batch is no longer pending")
            before = conn.total_changes
            conn.executemany(
                "UPDATE revisions SET batch = ? WHERE id = ? AND batch IS NULL", revised
            )
            if conn.total_changes - before != len(revised):
                raise StorageError("SRV-25: a revision of the batch is no longer pending")
            conn.execute(
                "INSERT INTO checkpoints VALUES (?, ?)", (checkpoint.tree_size, checkpoint.note)
            )
            _count(conn, utc_day(batch.end_s), BATCHES, 1)
            _count(conn, utc_day(batch.end_s), KEYS_PUBLISHED, len(ids))

        await self._call(fn)

    async def batches(self, first: int = 0) -> list[BatchRecord]:
        """Return batch records from ``first`` on, in order."""

        def fn(conn: sqlite3.Connection) -> list[BatchRecord]:
            cursor = conn.execute(
                f"SELECT {_BATCH_COLUMNS} FROM batches WHERE number >= ? ORDER BY number",
                (first,),
            )
            return [
                BatchRecord(r[0], bytes(r[1]), bytes(r[2]), bytes(r[3]), *r[4:]) for r in cursor
            ]

        return await self._call(fn)

    async def batch_archive(self, number: int) -> bytes:
        """Return a batch's export file bytes."""

        def fn(conn: sqlite3.Connection) -> bytes:
            row = conn.execute("SELECT archive FROM batches WHERE number = ?", (number,)).fetchone()
            if row is None or not row[0]:
                raise NotFoundError("SRV-11, SRV-27: no such batch, or past its retention")
            return bytes(row[0])

        return await self._call(fn)

    async def expire_archives(self, ended_before_s: int) -> list[int]:
        """Empty the archives of batches that ended before ``ended_before_s`` (SRV-27)."""

        def fn(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute(
                "UPDATE batches SET archive = x'' WHERE end_s < ? AND length(archive) > 0 "
                "RETURNING number",
                (ended_before_s,),
            ).fetchall()
            return sorted(r[0] for r in rows)

        return await self._call(fn)

    async def scrub(self) -> None:
        """VACUUM into fresh pages, then empty the WAL (spec SRV-27).

        With secure_delete, deleted rows are already zeroed in place; VACUUM rewrites every
        page and the TRUNCATE checkpoint leaves the WAL file empty, so neither file holds
        the bytes of a deleted row afterwards. Blocks the file system freed may still hold
        them until reused: encrypt the disk where that matters.
        """

        def run() -> None:
            conn = sqlite3.connect(self._path, isolation_level=None)
            try:
                conn.execute("PRAGMA busy_timeout=10000")
                conn.execute("PRAGMA secure_delete=ON")
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()

        await asyncio.to_thread(run)

    async def checkpoints(self, first_size: int = 0) -> list[CheckpointRecord]:
        """Return checkpoints from ``first_size`` up."""

        def fn(conn: sqlite3.Connection) -> list[CheckpointRecord]:
            cursor = conn.execute(
                "SELECT tree_size, note FROM checkpoints WHERE tree_size >= ? ORDER BY tree_size",
                (first_size,),
            )
            return [CheckpointRecord(r[0], bytes(r[1])) for r in cursor]

        return await self._call(fn)

    async def replace_checkpoint(self, checkpoint: CheckpointRecord) -> None:
        """Replace the note stored for an existing tree size."""

        def fn(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE checkpoints SET note = ? WHERE tree_size = ?",
                (checkpoint.note, checkpoint.tree_size),
            )
            if cursor.rowcount != 1:
                raise NotFoundError("SRV-16: no checkpoint of that size")

        await self._call(fn)

    async def prune(self, expired_before_s: int, oldest_interval: int) -> int:
        """Delete expired codes and tokens and published keys past retention."""

        def fn(conn: sqlite3.Connection) -> int:
            before = conn.total_changes
            conn.execute("DELETE FROM codes WHERE expires_s < ?", (expired_before_s,))
            conn.execute("DELETE FROM tokens WHERE expires_s < ?", (expired_before_s,))
            conn.execute(
                "DELETE FROM keys WHERE batch IS NOT NULL AND rolling_start + rolling_period < ?",
                (oldest_interval,),
            )
            conn.execute(
                "DELETE FROM revisions WHERE batch IS NOT NULL"
                " AND rolling_start + rolling_period < ?",
                (oldest_interval,),
            )
            conn.execute("DELETE FROM code_kinds WHERE digest NOT IN (SELECT digest FROM codes)")
            conn.execute("DELETE FROM token_kinds WHERE digest NOT IN (SELECT digest FROM tokens)")
            conn.execute("DELETE FROM key_tags WHERE key_data NOT IN (SELECT key_data FROM keys)")
            conn.execute("DELETE FROM staff_sessions WHERE last_seen_s < ?", (expired_before_s,))
            return conn.total_changes - before

        return await self._call(fn)

    async def add_staff(
        self,
        username: str,
        role: str,
        password_hash: bytes,
        totp_secret: bytes | None,
        now_s: int,
        must_change_password: bool,
    ) -> int:
        """Create a portal account; raise StaffExistsError if the name is taken (PORTAL-2)."""

        def fn(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "INSERT INTO staff (username, role, password_hash, totp_secret, created_s, "
                "must_change_password) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (username) DO NOTHING RETURNING id",
                (username, role, password_hash, totp_secret, now_s, int(must_change_password)),
            ).fetchone()
            if row is None:
                raise StaffExistsError("PORTAL-2: an account with this username exists")
            return row[0]

        return await self._call(fn)

    async def staff_by_name(self, username: str) -> StaffRecord | None:
        """Return the account of ``username``, or None."""
        return await self._call(lambda conn: _staff(conn, "username = ?", username))

    async def staff_by_id(self, staff_id: int) -> StaffRecord | None:
        """Return the account ``staff_id``, or None."""
        return await self._call(lambda conn: _staff(conn, "id = ?", staff_id))

    async def list_staff(self) -> list[StaffRecord]:
        """Return every account, by username."""
        return await self._call(
            lambda conn: [
                StaffRecord.from_row(r)
                for r in conn.execute(f"SELECT {_STAFF_COLUMNS} FROM staff ORDER BY username")
            ]
        )

    async def login_failed(
        self, staff_id: int, now_s: int, max_failures: int, lockout_s: int
    ) -> StaffRecord:
        """Count a failed sign-in; lock the account at ``max_failures`` (PORTAL-4)."""

        def fn(conn: sqlite3.Connection) -> StaffRecord:
            # SET expressions read the row as it was before the update.
            row = conn.execute(
                "UPDATE staff SET "
                "locked_until_s = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until_s END,"
                " failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1"
                f" END WHERE id = ? RETURNING {_STAFF_COLUMNS}",
                (max_failures, now_s + lockout_s, max_failures, staff_id),
            ).fetchone()
            if row is None:
                raise NotFoundError("PORTAL-4: no such account")
            return StaffRecord.from_row(row)

        return await self._call(fn)

    async def login_succeeded(self, staff_id: int) -> None:
        """Reset the account's failed sign-ins (PORTAL-4)."""
        await self._call(_update_staff("failed_logins = 0", staff_id))

    async def set_password(
        self, staff_id: int, password_hash: bytes, must_change_password: bool
    ) -> None:
        """Replace the account's password hash (PORTAL-3)."""
        await self._call(
            _update_staff(
                "password_hash = ?, must_change_password = ?",
                staff_id,
                password_hash,
                int(must_change_password),
            )
        )

    async def set_totp(self, staff_id: int, secret: bytes | None) -> None:
        """Set or clear the account's TOTP secret and forget its last step (PORTAL-14)."""
        await self._call(_update_staff("totp_secret = ?, totp_last_step = 0", staff_id, secret))

    async def use_totp_step(self, staff_id: int, step: int) -> bool:
        """Accept a TOTP step only if later than the last accepted one (PORTAL-14)."""

        def fn(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE staff SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
                (step, staff_id, step),
            )
            return cursor.rowcount == 1

        return await self._call(fn)

    async def set_disabled(self, staff_id: int, disabled: bool) -> None:
        """Disable (ending its sessions) or enable an account (PORTAL-2)."""
        update = _update_staff("disabled = ?", staff_id, int(disabled))

        def fn(conn: sqlite3.Connection) -> None:
            update(conn)
            if disabled:
                conn.execute("DELETE FROM staff_sessions WHERE staff_id = ?", (staff_id,))

        await self._call(fn)

    async def add_session(self, digest: bytes, staff_id: int, now_s: int) -> None:
        """Store a new session by its cookie's digest (PORTAL-5)."""
        await self._call(
            lambda conn: conn.execute(
                "INSERT INTO staff_sessions VALUES (?, ?, ?, ?)", (digest, staff_id, now_s, now_s)
            )
        )

    async def touch_session(
        self, digest: bytes, now_s: int, idle_s: int, max_age_s: int
    ) -> StaffRecord | None:
        """Return a live session's account and mark it seen; end a dead one (PORTAL-5)."""

        def fn(conn: sqlite3.Connection) -> StaffRecord | None:
            row = conn.execute(
                "SELECT staff_id, created_s, last_seen_s FROM staff_sessions WHERE digest = ?",
                (digest,),
            ).fetchone()
            if row is None:
                return None
            staff_id, created_s, last_seen_s = row
            staff = _staff(conn, "id = ?", staff_id)
            if not session_alive(created_s, last_seen_s, staff, now_s, idle_s, max_age_s):
                conn.execute("DELETE FROM staff_sessions WHERE digest = ?", (digest,))
                return None
            conn.execute(
                "UPDATE staff_sessions SET last_seen_s = max(last_seen_s, ?) WHERE digest = ?",
                (now_s, digest),
            )
            return staff

        return await self._call(fn)

    async def delete_session(self, digest: bytes) -> None:
        """End one session."""
        await self._call(
            lambda conn: conn.execute("DELETE FROM staff_sessions WHERE digest = ?", (digest,))
        )

    async def delete_sessions_of(self, staff_id: int) -> None:
        """End every session of an account."""
        await self._call(
            lambda conn: conn.execute("DELETE FROM staff_sessions WHERE staff_id = ?", (staff_id,))
        )

    async def add_audit(self, at_s: int, actor: str, action: str, detail: str) -> None:
        """Append an event to the audit trail (PORTAL-12)."""
        await self._call(
            lambda conn: conn.execute(
                "INSERT INTO audit_events (at_s, actor, action, detail) VALUES (?, ?, ?, ?)",
                (at_s, actor, action, detail),
            )
        )

    async def audit_events(self, limit: int, before_id: int | None = None) -> list[AuditEvent]:
        """Return up to ``limit`` audit events, newest first, before ``before_id``."""

        def fn(conn: sqlite3.Connection) -> list[AuditEvent]:
            cursor = conn.execute(
                "SELECT id, at_s, actor, action, detail FROM audit_events "
                "WHERE ? IS NULL OR id < ? ORDER BY id DESC LIMIT ?",
                (before_id, before_id, limit),
            )
            return [AuditEvent(*r) for r in cursor]

        return await self._call(fn)

    async def code_status(self, code_digest: bytes) -> CodeStatus | None:
        """Return a code's kind and state without using it (PORTAL-9)."""

        def fn(conn: sqlite3.Connection) -> CodeStatus | None:
            row = conn.execute(
                "SELECT c.report_type, c.onset_interval, c.expires_s, c.used, "
                "k.exposure_interval, k.revision FROM codes c "
                "LEFT JOIN code_kinds k ON k.digest = c.digest WHERE c.digest = ?",
                (code_digest,),
            ).fetchone()
            if row is None:
                return None
            return CodeStatus(row[0], row[1], row[2], bool(row[3]), row[4], bool(row[5]))

        return await self._call(fn)

    async def expire_code(self, code_digest: bytes, now_s: int) -> bool:
        """End an unused, unexpired code's validity at ``now_s`` (PORTAL-9)."""

        def fn(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE codes SET expires_s = ? WHERE digest = ? AND NOT used AND expires_s > ?",
                (now_s, code_digest, now_s),
            )
            return cursor.rowcount == 1

        return await self._call(fn)

    async def daily_counts(self, first_day: int, last_day: int) -> dict[int, dict[str, int]]:
        """Return the counts of the days ``first_day`` to ``last_day`` (PORTAL-11)."""

        def fn(conn: sqlite3.Connection) -> dict[int, dict[str, int]]:
            counts: dict[int, dict[str, int]] = {}
            for day, name, count in conn.execute(
                "SELECT day, name, count FROM daily_counts WHERE day BETWEEN ? AND ? "
                "ORDER BY day, name",
                (first_day, last_day),
            ):
                counts.setdefault(day, {})[name] = count
            return counts

        return await self._call(fn)


def _count(conn: sqlite3.Connection, day: int, name: str, added: int) -> int:
    """Add ``added`` to a daily count and return the new count (PORTAL-11)."""
    (count,) = conn.execute(
        "INSERT INTO daily_counts VALUES (?, ?, ?) ON CONFLICT (day, name) "
        "DO UPDATE SET count = count + excluded.count RETURNING count",
        (day, name, added),
    ).fetchone()
    return count


def _staff(conn: sqlite3.Connection, where: str, value: object) -> StaffRecord | None:
    row = conn.execute(f"SELECT {_STAFF_COLUMNS} FROM staff WHERE {where}", (value,)).fetchone()
    return None if row is None else StaffRecord.from_row(row)


def _update_staff(assignments: str, staff_id: int, *values: object):
    """A call that updates one account, raising NotFoundError when there is none."""

    def fn(conn: sqlite3.Connection) -> None:
        cursor = conn.execute(f"UPDATE staff SET {assignments} WHERE id = ?", (*values, staff_id))
        if cursor.rowcount != 1:
            raise NotFoundError("PORTAL-2: no such account")

    return fn


def _spend_token(conn: sqlite3.Connection, token_digest: bytes, now_s: int) -> None:
    """Mark a token used, or raise why it cannot be (spec SRV-7, SRV-24)."""
    row = conn.execute(
        "SELECT expires_s, used FROM tokens WHERE digest = ?", (token_digest,)
    ).fetchone()
    if row is None:
        raise TokenNotFoundError("SRV-7: no such token")
    if row[1]:
        raise TokenUsedError("SRV-7: the token was already used")
    if now_s >= row[0]:
        raise TokenExpiredError("SRV-7: the token expired")
    conn.execute("UPDATE tokens SET used = 1 WHERE digest = ?", (token_digest,))
