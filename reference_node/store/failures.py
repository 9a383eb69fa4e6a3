"""Turn SQLite's and the operating system's exceptions into the store's typed errors."""

from __future__ import annotations

import errno
import sqlite3

from bluezone.reference_node.errors import (
    InvalidRecordError,
    StoreCorruptError,
    StoreDiskFullError,
    StoreError,
    StoreIOError,
    StoreLockedError,
)

# Primary result codes (https://www.sqlite.org/rescode.html); extended codes keep them
# in their low byte.
_PRIMARY: dict[int, tuple[type[StoreError], str]] = {
    sqlite3.SQLITE_CORRUPT: (StoreCorruptError, "the database file is damaged"),
    sqlite3.SQLITE_NOTADB: (StoreCorruptError, "the file is not a SQLite database"),
    sqlite3.SQLITE_BUSY: (StoreLockedError, "another process holds the store"),
    sqlite3.SQLITE_LOCKED: (StoreLockedError, "the store is locked"),
    sqlite3.SQLITE_FULL: (StoreDiskFullError, "the disk or the store's size cap is full"),
    sqlite3.SQLITE_IOERR: (StoreIOError, "the operating system failed a read or write"),
    sqlite3.SQLITE_CANTOPEN: (StoreIOError, "the database file cannot be opened"),
    sqlite3.SQLITE_READONLY: (StoreIOError, "the database file is read-only"),
    sqlite3.SQLITE_PERM: (StoreIOError, "permission denied on the database file"),
    sqlite3.SQLITE_CONSTRAINT: (InvalidRecordError, "a record breaks a constraint"),
}


def translate(exc: BaseException, operation: str) -> StoreError:
    """Return the StoreError subclass for ``exc`` raised during ``operation``.

    The message names the operation and SQLite's error name, never row contents.
    """
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        name = getattr(exc, "sqlite_errorname", None)
        kind, reason = _PRIMARY.get(code & 0xFF if code is not None else -1, (StoreError, ""))
        return kind(f"{operation}: {reason or 'SQLite error'} ({name or type(exc).__name__})", name)
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return StoreDiskFullError(f"{operation}: no space left on the device")
        return StoreIOError(f"{operation}: {exc.strerror or type(exc).__name__}")
    return StoreError(f"{operation}: {type(exc).__name__}")
