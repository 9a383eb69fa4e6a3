"""Which server process publishes: one at a time, another when it dies (spec OPS-4).

Several processes may serve one deployment from one PostgreSQL database and one shared data
directory. Every process answers uploads and reads; only the holder of a PostgreSQL
advisory lock, taken on a connection of its own, publishes and writes the public files.
When that process dies, PostgreSQL ends its session and frees the lock, and another process
takes it at its next try and starts by bringing the files up to its storage (SRV-10). The
storage fences a process that lost the lock without noticing: batch numbers are unique, so
two publishers can never both append the same leaf.
"""

from __future__ import annotations

import logging
from hashlib import sha256
from typing import Protocol

log = logging.getLogger("bluezone.server.leadership")

# spec OPS-4: how often a process that does not publish tries to take over, in seconds.
LEADERSHIP_RETRY_S = 2.0


class Leadership(Protocol):
    """The right to publish."""

    shared: bool

    async def acquire(self) -> bool:
        """Try once to take the right; return whether this process holds it now."""
        ...

    async def held(self) -> bool:
        """Return whether this process still holds the right."""
        ...

    async def release(self) -> None:
        """Give the right up (and free what holding it needs)."""
        ...


class SoleLeadership:
    """One process alone (a SQLite store): it always publishes."""

    shared = False

    async def acquire(self) -> bool:
        """Return True: nobody else can publish."""
        return True

    async def held(self) -> bool:
        """Return True."""
        return True

    async def release(self) -> None:
        """Nothing to free."""


def lock_key(origin: str) -> int:
    """Return the advisory lock's key for a log: 64 bits of SHA-256, signed (OPS-4)."""
    digest = sha256(b"bluezone-publisher\n" + origin.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLeadership:
    """A session-level PostgreSQL advisory lock on a connection held for the purpose."""

    shared = True

    def __init__(self, dsn: str, origin: str) -> None:
        """Lock the key of ``origin`` in the database at ``dsn``."""
        self.dsn = dsn
        self.key = lock_key(origin)
        self._conn = None
        self._holding = False

    async def acquire(self) -> bool:
        """Try ``pg_try_advisory_lock`` once; a connection failure is "not now"."""
        import asyncpg

        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(self.dsn)
                self._holding = False
            if not self._holding:
                self._holding = bool(
                    await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key)
                )
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("cannot reach the database to take the publisher lock (%s)", exc)
            await self.release()
            return False
        return self._holding

    async def held(self) -> bool:
        """Return whether the lock's connection is alive (a lost session lost the lock)."""
        import asyncpg

        if self._conn is None or not self._holding:
            return False
        try:
            await self._conn.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self.release()
            return False
        return True

    async def release(self) -> None:
        """Close the lock's connection: PostgreSQL frees the lock with the session."""
        conn, self._conn, self._holding = self._conn, None, False
        if conn is not None and not conn.is_closed():
            try:
                await conn.close()
            except Exception:  # the session is gone either way
                conn.terminate()
