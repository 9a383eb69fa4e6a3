"""SQL for the uploads of reports to a key server (spec KS-13, SRV-4..SRV-7)."""

from __future__ import annotations

import json
import sqlite3

from bluezone.reference_node.errors import InvalidRecordError
from bluezone.reference_node.store import own_keys
from bluezone.reference_node.store.records import (
    StoredUpload,
    UploadRecord,
    check_row_id,
    check_time,
)

_FIELDS = (
    "report_id, server_url, hmac_secret, key_ids, due_interval, created_wall_time,"
    " token, token_expires_s, uploaded_wall_time, accepted, failure, revision_secret,"
    " dropped_key_ids"
)


def _stored(row: tuple) -> StoredUpload:
    report_id, url, secret, key_ids, due, created, token, expires, uploaded, accepted = row[:10]
    failure, revision_secret, dropped = row[10:]
    return StoredUpload(
        report_id,
        url,
        secret,
        tuple(json.loads(key_ids)),
        due,
        created,
        token=token,
        token_expires_s=expires,
        uploaded_wall_time=uploaded,
        accepted=accepted,
        failure=failure,
        revision_secret=revision_secret,
        dropped_key_ids=tuple(json.loads(dropped)) if dropped else (),
    )


def add(connection: sqlite3.Connection, upload: UploadRecord) -> StoredUpload:
    """Insert a planned upload; each key must belong to the report."""
    report = own_keys.report(connection, upload.report_id)
    reported = {k.key.key_id for k in report.keys}
    if not set(upload.key_ids) <= reported:
        raise InvalidRecordError("an upload holds only keys of its report")
    connection.execute(
        "INSERT INTO uploads (report_id, server_url, hmac_secret, key_ids, due_interval,"
        " created_wall_time, revision_secret) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            upload.report_id,
            upload.server_url,
            upload.hmac_secret,
            json.dumps(list(upload.key_ids)),
            upload.due_interval,
            upload.created_wall_time,
            upload.revision_secret,
        ),
    )
    return get(connection, upload.report_id)


def get(connection: sqlite3.Connection, report_id: int) -> StoredUpload:
    """Return the upload of this report; InvalidRecordError if there is none."""
    check_row_id(report_id, "report id")
    row = connection.execute(
        f"SELECT {_FIELDS} FROM uploads WHERE report_id = ?", (report_id,)
    ).fetchone()
    if row is None:
        raise InvalidRecordError(f"no upload for report {report_id}")
    return _stored(row)


def select(connection: sqlite3.Connection) -> list[StoredUpload]:
    """Return every upload held, oldest report first."""
    return [
        _stored(row)
        for row in connection.execute(f"SELECT {_FIELDS} FROM uploads ORDER BY report_id")
    ]


def set_token(
    connection: sqlite3.Connection, report_id: int, token: bytes, expires_s: int
) -> StoredUpload:
    """Store the token a code was exchanged for; the upload must still be exchanging."""
    if not isinstance(token, bytes) or len(token) != 32:
        raise InvalidRecordError("an upload token is 32 bytes (SRV-4)")
    check_row_id(expires_s, "token expires_s")
    _update(
        connection,
        report_id,
        "SET token = ?, token_expires_s = ? WHERE report_id = ? AND token IS NULL"
        " AND failure IS NULL",
        (token, expires_s, report_id),
    )
    return get(connection, report_id)


def finish(
    connection: sqlite3.Connection,
    report_id: int,
    accepted: int,
    wall_time: float,
    dropped_key_ids: tuple[int, ...] = (),
) -> StoredUpload:
    """Record that the keys went up; marks each of them uploaded in its report.

    ``dropped_key_ids`` are the keys a recursive code left out (SRV-21): sent, never published.
    """
    check_time(wall_time, "upload wall_time")
    check_row_id(accepted, "accepted keys")
    upload = get(connection, report_id)
    if not set(dropped_key_ids) <= set(upload.key_ids):
        raise InvalidRecordError("dropped keys must be keys of the upload")
    _update(
        connection,
        report_id,
        "SET uploaded_wall_time = ?, accepted = ?, dropped_key_ids = ? WHERE report_id = ?"
        " AND token IS NOT NULL AND uploaded_wall_time IS NULL AND failure IS NULL",
        (wall_time, accepted, json.dumps(list(dropped_key_ids)), report_id),
    )
    own_keys.mark_uploaded(connection, report_id, upload.key_ids, wall_time)
    return get(connection, report_id)


def fail(connection: sqlite3.Connection, report_id: int, failure: str) -> StoredUpload:
    """Record that the upload cannot happen (``failure`` is the error code)."""
    if not isinstance(failure, str) or not failure:
        raise InvalidRecordError("an upload failure is a non-empty error code")
    _update(
        connection,
        report_id,
        "SET failure = ? WHERE report_id = ? AND uploaded_wall_time IS NULL AND failure IS NULL",
        (failure, report_id),
    )
    return get(connection, report_id)


def uploaded_key_ids(connection: sqlite3.Connection) -> set[int]:
    """Return the ids of own keys some report already uploaded."""
    rows = connection.execute(
        "SELECT DISTINCT key_id FROM report_keys WHERE uploaded_wall_time IS NOT NULL"
    )
    return {key_id for (key_id,) in rows}


def _update(connection: sqlite3.Connection, report_id: int, sql: str, values: tuple) -> None:
    check_row_id(report_id, "report id")
    cursor = connection.execute(f"UPDATE uploads {sql}", values)
    if cursor.rowcount != 1:
        raise InvalidRecordError(f"the upload of report {report_id} is not in that state")
