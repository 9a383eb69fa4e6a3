"""Legacy Bluezone 2020 sightings and the F0 checks made on them (spec BZ20-11, BZ20-12).

Kept apart from section 2's sightings: a BLID, the receive time, the RSSI, never the
advertiser's address; pruned after 14 days like every sighting (MATCH-6).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from bluezone.protocol import params
from bluezone.protocol.keys import interval_number
from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store.records import check_interval, check_row_id, check_time

# spec BZ20-12: the rows of appendix A1, added by schema version 4.
TABLES = (
    """
    CREATE TABLE legacy_sightings (
        sighting_id INTEGER PRIMARY KEY,
        blid BLOB NOT NULL CHECK (length(blid) = 12),
        wall_time REAL NOT NULL,
        interval INTEGER NOT NULL CHECK (interval BETWEEN 0 AND 4294967295),
        rssi INTEGER,
        backend TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX legacy_sightings_by_interval ON legacy_sightings (interval)",
    """
    CREATE TABLE legacy_checks (
        check_id INTEGER PRIMARY KEY,
        checked_interval INTEGER NOT NULL CHECK (checked_interval BETWEEN 0 AND 4294967295),
        checked_wall_time REAL NOT NULL,
        keys_checked INTEGER NOT NULL CHECK (keys_checked >= 0),
        matched_sighting_ids TEXT NOT NULL
    ) STRICT
    """,
)


@dataclass(frozen=True, slots=True)
class LegacySightingRecord:
    """One legacy Android advertisement heard (spec BZ20-12): BLID, unix time, RSSI (dBm)."""

    blid: bytes
    wall_time: float
    rssi: int | None
    backend: str

    def __post_init__(self) -> None:
        if not isinstance(self.blid, bytes) or len(self.blid) != params.BZ20_BLID_LENGTH:
            raise InvalidRecordError("a BLID is 12 bytes (BZ20-8)")
        check_time(self.wall_time, "wall_time")
        if self.wall_time < 0 or self.wall_time > params.BZ20_MAX_TIME:
            raise InvalidRecordError("wall_time is outside 0..2^32-1 (BZ20-4)")
        if self.rssi is not None and (
            not isinstance(self.rssi, int) or isinstance(self.rssi, bool)
        ):
            raise InvalidRecordError("rssi must be an int or None")
        if not isinstance(self.backend, str):
            raise InvalidRecordError("backend must be a str")


@dataclass(frozen=True, slots=True)
class StoredLegacySighting:
    """A legacy sighting as stored, with its row id."""

    sighting_id: int
    record: LegacySightingRecord


@dataclass(frozen=True, slots=True)
class LegacyCheckRecord:
    """The outcome of one F0 check (spec BZ20-11): when, how many keys, which sightings."""

    checked_wall_time: float
    keys_checked: int
    matched_sighting_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        check_time(self.checked_wall_time, "checked_wall_time")
        check_row_id(self.keys_checked, "keys_checked")
        for sighting_id in self.matched_sighting_ids:
            check_row_id(sighting_id, "a matched sighting id")


def insert(connection: sqlite3.Connection, records: Sequence[LegacySightingRecord]) -> int:
    """Insert legacy sightings with one prepared statement; return how many."""
    rows = []
    for record in records:
        if not isinstance(record, LegacySightingRecord):
            raise InvalidRecordError(f"expected a LegacySightingRecord, got {type(record)}")
        interval = interval_number(record.wall_time)
        rows.append((record.blid, record.wall_time, interval, record.rssi, record.backend))
    connection.executemany(
        "INSERT INTO legacy_sightings (blid, wall_time, interval, rssi, backend)"
        " VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def select(connection: sqlite3.Connection, first_interval: int) -> list[StoredLegacySighting]:
    """Return the legacy sightings from ``first_interval`` on, oldest first."""
    check_interval(first_interval, "first_interval")
    query = (
        "SELECT sighting_id, blid, wall_time, rssi, backend FROM legacy_sightings"
        " WHERE interval >= ? ORDER BY sighting_id"
    )
    return [
        StoredLegacySighting(row[0], LegacySightingRecord(*row[1:]))
        for row in connection.execute(query, (first_interval,))
    ]


def add_check(connection: sqlite3.Connection, check: LegacyCheckRecord) -> int:
    """Record one F0 check; return its id."""
    cursor = connection.execute(
        "INSERT INTO legacy_checks (checked_interval, checked_wall_time, keys_checked,"
        " matched_sighting_ids) VALUES (?, ?, ?, ?)",
        (
            interval_number(check.checked_wall_time),
            check.checked_wall_time,
            check.keys_checked,
            json.dumps(list(check.matched_sighting_ids)),
        ),
    )
    return int(cursor.lastrowid or 0)


def checks(connection: sqlite3.Connection) -> list[LegacyCheckRecord]:
    """Return every F0 check held, oldest first."""
    query = (
        "SELECT checked_wall_time, keys_checked, matched_sighting_ids FROM legacy_checks"
        " ORDER BY check_id"
    )
    return [
        LegacyCheckRecord(row[0], row[1], tuple(json.loads(row[2])))
        for row in connection.execute(query)
    ]


def prune(connection: sqlite3.Connection, first_kept: int) -> int:
    """Delete legacy sightings and checks older than ``first_kept``; return the sightings."""
    connection.execute("DELETE FROM legacy_checks WHERE checked_interval < ?", (first_kept,))
    return connection.execute(
        "DELETE FROM legacy_sightings WHERE interval < ?", (first_kept,)
    ).rowcount
