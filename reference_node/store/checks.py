"""SQL for downloaded batches and exposure check results (spec MATCH-10: kept on device)."""

from __future__ import annotations

import json
import sqlite3

from bluezone.reference_node.errors import BatchConflictError
from bluezone.reference_node.store.records import (
    BatchRecord,
    ExposureCheckRecord,
    StoredExposureCheck,
)

_CHECK_FIELDS = (
    "checked_interval, checked_wall_time, batch_ids, keys_checked, matched_sightings, details"
)


def record_batch(connection: sqlite3.Connection, batch: BatchRecord) -> bool:
    """Record a batch as seen; return False if it was seen before with the same hash.

    Raises BatchConflictError if the id was seen with a different hash: the server (or
    someone in between) served two different contents under one name.
    """
    row = connection.execute(
        "SELECT digest FROM batches WHERE batch_id = ?", (batch.batch_id,)
    ).fetchone()
    if row is not None:
        if row[0] != batch.digest:
            raise BatchConflictError("batch id seen before with a different hash")
        return False
    connection.execute(
        "INSERT INTO batches (batch_id, digest, seen_interval, seen_wall_time) VALUES (?, ?, ?, ?)",
        (batch.batch_id, batch.digest, batch.seen_interval, batch.seen_wall_time),
    )
    return True


def batch(connection: sqlite3.Connection, batch_id: str) -> BatchRecord | None:
    """Return the batch seen under this id, or None."""
    row = connection.execute(
        "SELECT batch_id, digest, seen_interval, seen_wall_time FROM batches WHERE batch_id = ?",
        (batch_id,),
    ).fetchone()
    return None if row is None else BatchRecord(*row)


def batches(connection: sqlite3.Connection) -> list[BatchRecord]:
    """Return every batch seen, in the order they were seen."""
    query = (
        "SELECT batch_id, digest, seen_interval, seen_wall_time FROM batches"
        " ORDER BY seen_wall_time, batch_id"
    )
    return [BatchRecord(*row) for row in connection.execute(query)]


def add_check(connection: sqlite3.Connection, check: ExposureCheckRecord) -> StoredExposureCheck:
    """Record the outcome of one exposure check."""
    row = _check_row(check)
    cursor = connection.execute(
        f"INSERT INTO exposure_checks ({_CHECK_FIELDS}) VALUES (?, ?, ?, ?, ?, ?)", row
    )
    return _stored_check((*row, int(cursor.lastrowid or 0)))


def _check_row(check: ExposureCheckRecord) -> tuple:
    return (
        check.checked_interval,
        check.checked_wall_time,
        json.dumps(list(check.batch_ids)),
        check.keys_checked,
        check.matched_sightings,
        check.details_json(),
    )


def _stored_check(row: tuple) -> StoredExposureCheck:
    interval, wall_time, batch_ids, keys_checked, matched, details, check_id = row
    return StoredExposureCheck(
        interval,
        wall_time,
        tuple(json.loads(batch_ids)),
        keys_checked,
        matched,
        json.loads(details),
        check_id=check_id,
    )


def checks(connection: sqlite3.Connection) -> list[StoredExposureCheck]:
    """Return every exposure check held, oldest first."""
    query = f"SELECT {_CHECK_FIELDS}, check_id FROM exposure_checks ORDER BY check_id"
    return [_stored_check(row) for row in connection.execute(query)]
