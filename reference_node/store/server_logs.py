"""SQL for what the node accepted from transparency logs (spec SRV-17, LOG-11)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store.records import CachedBatch, ServerLogState

_STATE_FIELDS = "origin, log_key, checkpoint, tree_size, next_batch, updated_wall_time"
_BATCH_FIELDS = "origin, number, leaf_hash, end_s, archive"


def state(connection: sqlite3.Connection, origin: str) -> ServerLogState | None:
    """Return what the node accepted last from the log ``origin``, or None."""
    row = connection.execute(
        f"SELECT {_STATE_FIELDS} FROM server_logs WHERE origin = ?", (origin,)
    ).fetchone()
    return None if row is None else ServerLogState(*row)


def save(
    connection: sqlite3.Connection, new: ServerLogState, batches: Sequence[CachedBatch]
) -> None:
    """Store a newly accepted checkpoint with the batches verified under it.

    The caller holds the transaction: both are stored, or neither. A log never shrinks
    here: a smaller tree than the one held is refused (LOG-5).
    """
    old = state(connection, new.origin)
    if old is not None and new.tree_size < old.tree_size:
        raise InvalidRecordError("LOG-5: a log's accepted tree never shrinks")
    connection.execute(
        f"INSERT INTO server_logs ({_STATE_FIELDS}) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (origin) DO UPDATE SET log_key = excluded.log_key,"
        " checkpoint = excluded.checkpoint, tree_size = excluded.tree_size,"
        " next_batch = excluded.next_batch, updated_wall_time = excluded.updated_wall_time",
        (
            new.origin,
            new.log_key,
            new.checkpoint,
            new.tree_size,
            new.next_batch,
            new.updated_wall_time,
        ),
    )
    for batch in batches:
        if batch.origin != new.origin or batch.number >= new.tree_size:
            raise InvalidRecordError("a cached batch belongs to the checkpoint it was verified in")
    connection.executemany(
        f"INSERT INTO server_batches ({_BATCH_FIELDS}) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (origin, number) DO UPDATE SET leaf_hash = excluded.leaf_hash,"
        " end_s = excluded.end_s, archive = excluded.archive",
        [(b.origin, b.number, b.leaf_hash, b.end_s, b.archive) for b in batches],
    )


def batches(connection: sqlite3.Connection, origin: str, since_s: int) -> list[CachedBatch]:
    """Return the batches of ``origin`` that ended at ``since_s`` or later, by number."""
    rows = connection.execute(
        f"SELECT {_BATCH_FIELDS} FROM server_batches WHERE origin = ? AND end_s >= ?"
        " ORDER BY number",
        (origin, since_s),
    )
    return [CachedBatch(*row) for row in rows]
