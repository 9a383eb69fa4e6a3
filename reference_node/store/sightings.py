"""SQL for the sightings table: batch inserts, reads, and clearing addresses (ADV-13, ADV-14)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bluezone.protocol.matching import Sighting
from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store.records import (
    SightingRecord,
    StoredSighting,
    check_interval,
    check_row_id,
)

_FIELDS = "rpi, aem, interval, monotonic_time, wall_time, rssi, address, address_type, backend"
_INSERT = f"INSERT INTO sightings ({_FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SELECT = f"SELECT {_FIELDS}, sighting_id FROM sightings"


def insert(connection: sqlite3.Connection, records: Sequence[SightingRecord]) -> int:
    """Insert ``records`` with one prepared statement; return how many."""
    rows = []
    for record in records:
        if not isinstance(record, SightingRecord):
            raise InvalidRecordError(f"expected a SightingRecord, got {type(record).__name__}")
        rows.append(record.as_row())
    connection.executemany(_INSERT, rows)
    return len(rows)


def _stored(row: tuple) -> StoredSighting:
    return StoredSighting(*row[:-1], sighting_id=row[-1])


def select(
    connection: sqlite3.Connection, first_interval: int | None, end_interval: int | None
) -> list[StoredSighting]:
    """Return sightings with first_interval <= interval < end_interval, in insertion order."""
    clauses, args = _interval_range(first_interval, end_interval)
    query = f"{_SELECT}{clauses} ORDER BY sighting_id"
    return [_stored(row) for row in connection.execute(query, args)]


def select_for_matching(connection: sqlite3.Connection, first_interval: int) -> list[Sighting]:
    """Return sightings from ``first_interval`` on as the matching engine takes them."""
    check_interval(first_interval, "first_interval")
    query = (
        "SELECT rpi, interval, aem, rssi FROM sightings WHERE interval >= ? ORDER BY sighting_id"
    )
    return [Sighting(*row) for row in connection.execute(query, (first_interval,))]


def _interval_range(first: int | None, end: int | None) -> tuple[str, list[int]]:
    clauses, args = [], []
    if first is not None:
        check_interval(first, "first_interval")
        clauses.append("interval >= ?")
        args.append(first)
    if end is not None:
        check_interval(end, "end_interval")
        clauses.append("interval < ?")
        args.append(end)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def count(connection: sqlite3.Connection) -> int:
    """Return how many sightings the store holds."""
    return int(connection.execute("SELECT count(*) FROM sightings").fetchone()[0])


def with_address(connection: sqlite3.Connection, limit: int | None) -> list[StoredSighting]:
    """Return sightings that still carry an address (not yet aggregated), oldest first."""
    if limit is not None:
        check_row_id(limit, "limit")
    query = f"{_SELECT} WHERE address IS NOT NULL ORDER BY sighting_id LIMIT ?"
    return [_stored(row) for row in connection.execute(query, (-1 if limit is None else limit,))]


def clear_addresses(connection: sqlite3.Connection, through_id: int) -> int:
    """Forget the address of every sighting up to ``through_id`` (spec ADV-14); return count."""
    check_row_id(through_id, "sighting id")
    cursor = connection.execute(
        "UPDATE sightings SET address = NULL, address_type = NULL"
        " WHERE address IS NOT NULL AND sighting_id <= ?",
        (through_id,),
    )
    return cursor.rowcount
