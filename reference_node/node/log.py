"""The node's structured logs and status line.

Node log records carry an ``event`` name and a ``fields`` dict (pass them as
``extra={"event": ..., "fields": ...}``). `JsonLinesFormatter` writes each record as one JSON
object per line; the default text format shows the message. Nothing here ever receives key
material: identifiers and addresses are shortened with `short_id` and `short_address`
before they reach a log call.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from dataclasses import dataclass
from typing import Any, TextIO

LOGGER_NAME = "bluezone.node"
_LOGGERS = ("bluezone",)
_HANDLER_NAME = "bluezone-cli"


def short_id(data: bytes) -> str:
    """The first 2 bytes of an identifier in hex, enough to follow it in a log, no more."""
    return data[:2].hex() + "…"


def short_address(address: str) -> str:
    """The first 2 octets of an address (``3A:1F:…``)."""
    return address[:5] + ":…"


def iso_time(unix_s: float) -> str:
    """``2025-11-23T10:00:00Z`` for a unix time (whole seconds)."""
    moment = datetime.datetime.fromtimestamp(int(unix_s), datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def clock_time(unix_s: float) -> str:
    """``10:00:00`` (UTC) for a unix time."""
    return iso_time(unix_s)[11:19]


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, event, message, and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": iso_time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or "message",
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k not in entry})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(
    *, json_lines: bool = False, level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Send the project's logs to ``stream`` (stderr) as text or JSON lines; return the handler.

    Replaces a handler installed by an earlier call; `unconfigure_logging` removes it.
    """
    unconfigure_logging()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    if json_lines:
        handler.setFormatter(JsonLinesFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
    return handler


def unconfigure_logging() -> None:
    """Remove the handler `configure_logging` installed, if any."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if handler.get_name() == _HANDLER_NAME:
                logger.removeHandler(handler)


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """The node at one moment: what the status line shows."""

    wall_time: float
    uptime_s: float
    rotations: int
    scans: int
    sightings: int
    sightings_per_minute: float
    peers_last_scan: int
    dropped: int
    mismatched_pairs: int
    exposure_checks: int

    def line(self) -> str:
        """One line for a terminal."""
        minutes, seconds = divmod(int(self.uptime_s), 60)
        hours, minutes = divmod(minutes, 60)
        return (
            f"status {clock_time(self.wall_time)} up {hours}h{minutes:02d}m{seconds:02d}s:"
            f" {self.rotations} rotations, {self.scans} scans,"
            f" {self.sightings_per_minute:.1f} sightings/min ({self.sightings} in all),"
            f" {self.peers_last_scan} peers in the last scan, {self.dropped} adverts dropped"
        )

    def to_json(self) -> dict[str, Any]:
        """JSON form, for the structured log."""
        return {
            "wall_time": self.wall_time,
            "uptime_s": round(self.uptime_s, 3),
            "rotations": self.rotations,
            "scans": self.scans,
            "sightings": self.sightings,
            "sightings_per_minute": round(self.sightings_per_minute, 2),
            "peers_last_scan": self.peers_last_scan,
            "dropped": self.dropped,
            "mismatched_pairs": self.mismatched_pairs,
            "exposure_checks": self.exposure_checks,
        }
