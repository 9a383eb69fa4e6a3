"""Key-server storage: one interface, SQLite (default) and PostgreSQL implementations."""

from __future__ import annotations

import os

from bluezone.reference_node.server.storage.base import (
    AuditEvent,
    BatchRecord,
    CheckpointRecord,
    CodeStatus,
    NewKey,
    PendingKey,
    StaffRecord,
    Storage,
    TokenRecord,
)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


async def open_storage(database: str | os.PathLike[str], durable: bool = True) -> Storage:
    """Open the storage a ``--database`` value names.

    ``postgresql://...`` (or ``postgres://``) opens PostgreSQL through asyncpg; anything
    else is the path of a SQLite file (a ``sqlite:`` prefix is allowed).
    """
    text = os.fspath(database)
    if text.startswith(POSTGRES_SCHEMES):
        from bluezone.reference_node.server.storage.postgres import PostgresStorage

        return await PostgresStorage.open(text)
    from bluezone.reference_node.server.storage.sqlite import SqliteStorage

    return await SqliteStorage.open(text.removeprefix("sqlite:"), durable=durable)


__all__ = [
    "AuditEvent",
    "BatchRecord",
    "CheckpointRecord",
    "CodeStatus",
    "NewKey",
    "PendingKey",
    "StaffRecord",
    "Storage",
    "TokenRecord",
    "open_storage",
]
