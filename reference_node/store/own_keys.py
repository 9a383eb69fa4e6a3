"""SQL for the device's own keys and the reports that cover them (spec KS-11, KS-12, KS-13)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bluezone.protocol import params
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store.records import (
    ReportedKey,
    StoredKey,
    StoredReport,
    check_interval,
    check_row_id,
    check_time,
)

_KEY_FIELDS = "key_id, key_data, rolling_start, rolling_period, created_wall_time"


def _stored_key(row: tuple) -> StoredKey:
    key_id, key_data, rolling_start, rolling_period, created = row
    return StoredKey(key_id, TemporaryExposureKey(key_data, rolling_start, rolling_period), created)


def add(connection: sqlite3.Connection, key: TemporaryExposureKey, created: float) -> StoredKey:
    """Insert one of the device's keys; a repeated key_data breaks UNIQUE (spec KS-14)."""
    if not isinstance(key, TemporaryExposureKey):
        raise InvalidRecordError(f"expected a TemporaryExposureKey, got {type(key).__name__}")
    check_time(created, "key created_wall_time")
    cursor = connection.execute(
        "INSERT INTO own_keys (key_data, rolling_start, rolling_period, created_wall_time)"
        " VALUES (?, ?, ?, ?)",
        (key.key_data, key.rolling_start, key.rolling_period, created),
    )
    return StoredKey(int(cursor.lastrowid or 0), key, created)


def get(connection: sqlite3.Connection, key_id: int) -> StoredKey:
    """Return the key with this id; raise InvalidRecordError if there is none."""
    check_row_id(key_id, "key id")
    row = connection.execute(
        f"SELECT {_KEY_FIELDS} FROM own_keys WHERE key_id = ?", (key_id,)
    ).fetchone()
    if row is None:
        raise InvalidRecordError(f"no own key with id {key_id}")
    return _stored_key(row)


def cut(connection: sqlite3.Connection, key_id: int, rolling_period: int) -> StoredKey:
    """Shorten a key's rolling period (spec KS-13); never lengthen it."""
    check_row_id(key_id, "key id")
    if not isinstance(rolling_period, int) or not (
        params.MIN_ROLLING_PERIOD <= rolling_period <= params.MAX_ROLLING_PERIOD
    ):
        raise InvalidRecordError("rolling period must be 1..144 (KS-4)")
    cursor = connection.execute(
        "UPDATE own_keys SET rolling_period = ? WHERE key_id = ? AND rolling_period >= ?",
        (rolling_period, key_id, rolling_period),
    )
    if cursor.rowcount != 1:
        raise InvalidRecordError(f"no own key with id {key_id} that is at least that long")
    return get(connection, key_id)


def delete(connection: sqlite3.Connection, key_id: int) -> None:
    """Delete one key (and its place in any report)."""
    check_row_id(key_id, "key id")
    cursor = connection.execute("DELETE FROM own_keys WHERE key_id = ?", (key_id,))
    if cursor.rowcount != 1:
        raise InvalidRecordError(f"no own key with id {key_id}")


def select(connection: sqlite3.Connection) -> list[StoredKey]:
    """Return every key held, oldest rolling start first."""
    query = f"SELECT {_KEY_FIELDS} FROM own_keys ORDER BY rolling_start, key_id"
    return [_stored_key(row) for row in connection.execute(query)]


def at(connection: sqlite3.Connection, interval: int) -> StoredKey | None:
    """Return the newest key whose period holds ``interval``, or None."""
    check_interval(interval, "interval")
    row = connection.execute(
        f"SELECT {_KEY_FIELDS} FROM own_keys"
        " WHERE rolling_start <= ?1 AND ?1 < rolling_start + rolling_period"
        " ORDER BY key_id DESC LIMIT 1",
        (interval,),
    ).fetchone()
    return None if row is None else _stored_key(row)


def add_report(
    connection: sqlite3.Connection,
    made_interval: int,
    made_wall_time: float,
    key_ids: Sequence[int],
) -> StoredReport:
    """Record a report covering ``key_ids``, none uploaded yet (spec KS-13)."""
    check_interval(made_interval, "report made_interval")
    check_time(made_wall_time, "report made_wall_time")
    for key_id in key_ids:
        check_row_id(key_id, "key id")
    cursor = connection.execute(
        "INSERT INTO reports (made_interval, made_wall_time) VALUES (?, ?)",
        (made_interval, made_wall_time),
    )
    report_id = int(cursor.lastrowid or 0)
    connection.executemany(
        "INSERT INTO report_keys (report_id, key_id) VALUES (?, ?)",
        [(report_id, key_id) for key_id in key_ids],
    )
    return report(connection, report_id)


def report(connection: sqlite3.Connection, report_id: int) -> StoredReport:
    """Return one report with its keys, oldest key first."""
    check_row_id(report_id, "report id")
    row = connection.execute(
        "SELECT made_interval, made_wall_time FROM reports WHERE report_id = ?", (report_id,)
    ).fetchone()
    if row is None:
        raise InvalidRecordError(f"no report with id {report_id}")
    keys = connection.execute(
        f"SELECT {', '.join('k.' + f for f in _KEY_FIELDS.split(', '))}, r.uploaded_wall_time"
        " FROM report_keys AS r JOIN own_keys AS k USING (key_id)"
        " WHERE r.report_id = ? ORDER BY k.rolling_start, k.key_id",
        (report_id,),
    )
    reported = tuple(ReportedKey(_stored_key(k[:5]), k[5]) for k in keys)
    return StoredReport(report_id, row[0], row[1], reported)


def reports(connection: sqlite3.Connection) -> list[StoredReport]:
    """Return every report held, oldest first."""
    ids = connection.execute("SELECT report_id FROM reports ORDER BY report_id").fetchall()
    return [report(connection, report_id) for (report_id,) in ids]


def due_for_upload(
    connection: sqlite3.Connection, now_interval: int
) -> list[tuple[int, StoredKey]]:
    """Return (report id, key) for reported keys not yet uploaded whose embargo is over.

    spec KS-12: a key may be uploaded once now_interval >= rolling_start + rolling_period
    + 12; KS-13: a key cut by a report is uploaded only then.
    """
    check_interval(now_interval, "now_interval")
    rows = connection.execute(
        f"SELECT r.report_id, {', '.join('k.' + f for f in _KEY_FIELDS.split(', '))}"
        " FROM report_keys AS r JOIN own_keys AS k USING (key_id)"
        " WHERE r.uploaded_wall_time IS NULL"
        " AND k.rolling_start + k.rolling_period + ? <= ?"
        " ORDER BY r.report_id, k.rolling_start, k.key_id",
        (params.EMBARGO_INTERVALS, now_interval),
    )
    return [(row[0], _stored_key(row[1:])) for row in rows]


def mark_uploaded(
    connection: sqlite3.Connection, report_id: int, key_ids: Sequence[int], wall_time: float
) -> None:
    """Record that these keys of a report were uploaded; each must be pending."""
    check_time(wall_time, "upload wall_time")
    check_row_id(report_id, "report id")
    for key_id in key_ids:
        check_row_id(key_id, "key id")
        cursor = connection.execute(
            "UPDATE report_keys SET uploaded_wall_time = ?"
            " WHERE report_id = ? AND key_id = ? AND uploaded_wall_time IS NULL",
            (wall_time, report_id, key_id),
        )
        if cursor.rowcount != 1:
            raise InvalidRecordError(f"key {key_id} of report {report_id} is not pending upload")
