"""SQL for the scans table: one row per scan of the radio (spec RISK-4, MATCH-6)."""

from __future__ import annotations

import sqlite3

from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store.records import ScanRecord, StoredScan, check_interval

_FIELDS = "start_wall_time, end_wall_time, start_interval, sightings, dropped"


def insert(connection: sqlite3.Connection, record: ScanRecord) -> StoredScan:
    """Insert one scan; return it with its row id."""
    if not isinstance(record, ScanRecord):
        raise InvalidRecordError(f"expected a ScanRecord, got {type(record).__name__}")
    cursor = connection.execute(
        f"INSERT INTO scans ({_FIELDS}) VALUES (?, ?, ?, ?, ?)", record.as_row()
    )
    return StoredScan(*record.as_row(), scan_id=int(cursor.lastrowid or 0))


def select(connection: sqlite3.Connection, first_interval: int | None) -> list[StoredScan]:
    """Return the scans that started at ``first_interval`` or later, oldest start first."""
    query = f"SELECT {_FIELDS}, scan_id FROM scans"
    args: tuple[int, ...] = ()
    if first_interval is not None:
        check_interval(first_interval, "first_interval")
        query += " WHERE start_interval >= ?"
        args = (first_interval,)
    query += " ORDER BY start_wall_time, scan_id"
    return [StoredScan(*row[:-1], scan_id=row[-1]) for row in connection.execute(query, args)]


def last_end(connection: sqlite3.Connection) -> float | None:
    """Return the end time of the latest scan, or None when there is none."""
    (value,) = connection.execute("SELECT max(end_wall_time) FROM scans").fetchone()
    return None if value is None else float(value)
