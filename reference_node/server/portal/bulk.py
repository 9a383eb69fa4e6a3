"""Bulk issuance files (spec PORTAL-8): a contact-tracing team's CSV list in, codes out.

The input has a header row naming its columns: ``kind`` (required; the kinds of PORTAL-7),
``onset_date`` and ``exposure_date`` (ISO dates, may be empty), and any others the team keeps
(a phone number, its own reference), which come back unchanged and are never stored. The
answer is the same rows with ``code``, ``expires``, ``message`` and ``error`` appended.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bluezone.reference_node.server.errors import ServerError

MAX_ROWS = 500
MAX_COLUMNS = 16
ADDED = ("code", "expires", "message", "error")
# A phone number or a signed number: no formula, kept as written.
_NUMBER = re.compile(r"^[+-]?[0-9][0-9 ().-]*$")


class BulkFileError(ServerError):
    """A bulk file that is not a usable CSV list (spec PORTAL-8)."""

    status = 400
    code = "invalid_bulk_file"


@dataclass(frozen=True)
class Row:
    """One row of a bulk file: what to issue, and the cells to give back."""

    number: int
    kind: str
    onset_date: str
    exposure_date: str
    cells: tuple[str, ...]


def parse(data: bytes) -> tuple[list[str], list[Row]]:
    """The header and rows of a bulk file; BulkFileError for anything else (spec PORTAL-8)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BulkFileError("PORTAL-8: the file is not UTF-8 text") from None
    try:
        table = [row for row in csv.reader(io.StringIO(text, newline="")) if any(row)]
    except csv.Error as exc:
        raise BulkFileError(f"PORTAL-8: not a CSV file ({exc})") from None
    if not table:
        raise BulkFileError("PORTAL-8: the file is empty")
    header = [name.strip().lower() for name in table[0]]
    if "kind" not in header or len(header) > MAX_COLUMNS or len(set(header)) != len(header):
        raise BulkFileError("PORTAL-8: the header must name a 'kind' column, each column once")
    if not 1 < len(table) <= MAX_ROWS + 1:
        raise BulkFileError(f"PORTAL-8: the file must hold 1 to {MAX_ROWS} rows")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if len(cells) != len(header):
            raise BulkFileError(
                f"PORTAL-8: line {number} has {len(cells)} cells, not {len(header)}"
            )
        named = dict(zip(header, (c.strip() for c in cells), strict=True))
        rows.append(
            Row(
                number,
                named["kind"],
                named.get("onset_date", ""),
                named.get("exposure_date", ""),
                tuple(cells),
            )
        )
    return header, rows


def answer(
    header: Sequence[str],
    rows: Sequence[Row],
    results: Sequence[tuple[str, str, str] | str],
) -> bytes:
    """The answer file: each row with its code, expiry and message, or the error's name.

    ``results`` holds, per row, ``(code, expires, message)`` or an error name.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*header, *ADDED])
    for row, result in zip(rows, results, strict=True):
        added = [*result, ""] if isinstance(result, tuple) else ["", "", "", result]
        writer.writerow([*(_safe(c) for c in row.cells), *(_safe(c) for c in added)])
    return out.getvalue().encode("utf-8-sig")


def _safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection); numbers stay as they are."""
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(cell):
        return "'" + cell
    return cell
