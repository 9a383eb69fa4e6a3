"""The records the store keeps: sightings, own keys, reports, batches and exposure checks.

Records going in are checked on construction and raise InvalidRecordError; records coming
out carry the row id the store gave them. Times: ``interval`` is an ENIntervalNumber
(KS-2), ``wall_time`` unix seconds, ``monotonic_time`` seconds on the radio's clock.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from bluezone.protocol import params
from bluezone.protocol.keys import TemporaryExposureKey
from bluezone.protocol.matching import Sighting
from bluezone.reference_node.errors import InvalidRecordError


def check_interval(value: object, what: str) -> None:
    """Raise InvalidRecordError unless ``value`` is an interval number, a uint32 (KS-2)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRecordError(f"{what} must be an int, got {type(value).__name__}")
    if not 0 <= value <= params.MAX_INTERVAL:
        raise InvalidRecordError(f"{what} is not a uint32 interval number (KS-2)")


def check_time(value: object, what: str) -> None:
    """Raise InvalidRecordError unless ``value`` is a finite number of seconds."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InvalidRecordError(f"{what} must be a finite number of seconds")


def check_row_id(value: object, what: str) -> None:
    """Raise InvalidRecordError unless ``value`` is an int (SQLite would compare text > ints)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRecordError(f"{what} must be an int, got {type(value).__name__}")


def _check_bytes(value: object, length: int, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != length:
        size = len(value) if isinstance(value, bytes) else type(value).__name__
        raise InvalidRecordError(f"{what} must be {length} bytes, got {size}")


def _check_text(value: object, what: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise InvalidRecordError(f"{what} must be a str, got {type(value).__name__}")


def _check_small_int(value: object, what: str) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not -(2**31) <= value < 2**31:
        raise InvalidRecordError(f"{what} must be an int32 or None")


@dataclass(frozen=True, slots=True)
class SightingRecord:
    """One advertisement heard, as logged (spec ADV-13): identifier, metadata, when, how loud.

    ``address`` and ``address_type`` group reports during aggregation only and are cleared
    after it (ADV-14). ``aem`` is None when the backend could not see it; ``rssi`` is dBm.
    ``backend`` names the radio backend that heard it.
    """

    rpi: bytes
    aem: bytes | None
    interval: int
    monotonic_time: float
    wall_time: float
    rssi: int | None
    address: str | None
    address_type: str | None
    backend: str

    def __post_init__(self) -> None:
        _check_bytes(self.rpi, params.RPI_LENGTH, "sighting rpi")
        if self.aem is not None:
            _check_bytes(self.aem, params.AEM_LENGTH, "sighting aem")
        check_interval(self.interval, "sighting interval")
        check_time(self.monotonic_time, "sighting monotonic_time")
        check_time(self.wall_time, "sighting wall_time")
        _check_small_int(self.rssi, "sighting rssi")
        _check_text(self.address, "sighting address", optional=True)
        _check_text(self.address_type, "sighting address_type", optional=True)
        _check_text(self.backend, "sighting backend")

    def as_row(self) -> tuple[object, ...]:
        """Return the values in the column order of the sightings table."""
        return (
            self.rpi,
            self.aem,
            self.interval,
            self.monotonic_time,
            self.wall_time,
            self.rssi,
            self.address,
            self.address_type,
            self.backend,
        )

    def to_protocol(self) -> Sighting:
        """Return the sighting as the matching engine takes it (spec MATCH-3)."""
        return Sighting(self.rpi, self.interval, self.aem, self.rssi)


@dataclass(frozen=True, slots=True)
class StoredSighting(SightingRecord):
    """A sighting read back from the store, with its row id (ids grow with insertion)."""

    sighting_id: int = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """One scan of the radio (spec RISK-4): when it listened, and what it kept and dropped.

    ``start_wall_time`` and ``end_wall_time`` are unix seconds; ``start_interval`` is the
    start's ENIntervalNumber. ``sightings`` counts the sightings stored for the scan,
    ``dropped`` the advertisements heard that did not decode (spec ADV-13).
    """

    start_wall_time: float
    end_wall_time: float
    start_interval: int
    sightings: int
    dropped: int

    def __post_init__(self) -> None:
        check_time(self.start_wall_time, "scan start_wall_time")
        check_time(self.end_wall_time, "scan end_wall_time")
        if self.end_wall_time < self.start_wall_time:
            raise InvalidRecordError("a scan cannot end before it starts")
        check_interval(self.start_interval, "scan start_interval")
        for name in ("sightings", "dropped"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidRecordError(f"scan {name} must be an int >= 0")

    def as_row(self) -> tuple[object, ...]:
        """Return the values in the column order of the scans table."""
        return (
            self.start_wall_time,
            self.end_wall_time,
            self.start_interval,
            self.sightings,
            self.dropped,
        )


@dataclass(frozen=True, slots=True)
class StoredScan(ScanRecord):
    """A scan read back from the store, with its row id."""

    scan_id: int = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class StoredKey:
    """One of the device's own temporary exposure keys (spec KS-11) with its row id.

    The key's repr shows its validity, never its bytes.
    """

    key_id: int
    key: TemporaryExposureKey
    created_wall_time: float


@dataclass(frozen=True, slots=True)
class ReportedKey:
    """A key a report covers; ``uploaded_wall_time`` is None until it was uploaded (KS-13)."""

    key: StoredKey
    uploaded_wall_time: float | None


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report the device made: when, and which of its keys it covers (spec KS-13)."""

    report_id: int
    made_interval: int
    made_wall_time: float
    keys: tuple[ReportedKey, ...]


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A downloaded batch of diagnosis keys: its id on the server and its content hash."""

    batch_id: str
    digest: bytes
    seen_interval: int
    seen_wall_time: float

    def __post_init__(self) -> None:
        _check_text(self.batch_id, "batch id")
        if not self.batch_id:
            raise InvalidRecordError("batch id must not be empty")
        if not isinstance(self.digest, bytes) or not self.digest:
            raise InvalidRecordError("batch digest must be non-empty bytes")
        check_interval(self.seen_interval, "batch seen_interval")
        check_time(self.seen_wall_time, "batch seen_wall_time")


@dataclass(frozen=True, slots=True)
class ExposureCheckRecord:
    """The outcome of one exposure check (spec MATCH-10: it never leaves the device).

    ``batch_ids`` are the batches whose keys were checked (each recorded before);
    ``details`` is a JSON-serialisable summary (risk, windows) kept as the node wrote it.
    """

    checked_interval: int
    checked_wall_time: float
    batch_ids: tuple[str, ...]
    keys_checked: int
    matched_sightings: int
    details: Mapping[str, object]

    def __post_init__(self) -> None:
        check_interval(self.checked_interval, "exposure check interval")
        check_time(self.checked_wall_time, "exposure check wall_time")
        if not isinstance(self.batch_ids, tuple):
            raise InvalidRecordError("exposure check batch_ids must be a tuple")
        for batch_id in self.batch_ids:
            _check_text(batch_id, "exposure check batch id")
        for name in ("keys_checked", "matched_sightings"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidRecordError(f"exposure check {name} must be an int >= 0")
        self.details_json()

    def details_json(self) -> str:
        """Return ``details`` as canonical JSON; raise InvalidRecordError if it is not JSON."""
        if not isinstance(self.details, Mapping):
            raise InvalidRecordError("exposure check details must be a mapping")
        try:
            return json.dumps(self.details, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidRecordError("exposure check details are not JSON-serialisable") from exc


@dataclass(frozen=True, slots=True)
class StoredExposureCheck(ExposureCheckRecord):
    """An exposure check read back from the store, with its row id."""

    check_id: int = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class PruneResult:
    """How many rows one ``prune`` deleted, per kind (spec MATCH-6, KS-11)."""

    sightings: int
    keys: int
    reports: int
    batches: int
    exposure_checks: int
    scans: int = 0
    downloaded_batches: int = 0


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """The planned upload of a report's keys to a key server (spec KS-13, SRV-4..SRV-7).

    ``hmac_secret`` binds the token to exactly the keys ``key_ids`` (SRV-5); the keys go up
    together once ``due_interval`` is reached, when the last one's embargo is over (KS-12).
    """

    report_id: int
    server_url: str
    hmac_secret: bytes
    key_ids: tuple[int, ...]
    due_interval: int
    created_wall_time: float
    revision_secret: bytes | None = field(default=None, kw_only=True)  # spec SRV-23

    def __post_init__(self) -> None:
        check_row_id(self.report_id, "upload report id")
        if self.revision_secret is not None and (
            not isinstance(self.revision_secret, bytes)
            or len(self.revision_secret) != params.REVISION_SECRET_BYTES
        ):
            raise InvalidRecordError("upload revision_secret must be 32 bytes (SRV-23)")
        _check_text(self.server_url, "upload server_url")
        secret = self.hmac_secret
        if not isinstance(secret, bytes) or not (
            params.MIN_HMAC_SECRET_BYTES <= len(secret) <= params.MAX_HMAC_SECRET_BYTES
        ):
            raise InvalidRecordError("upload hmac_secret must be 16..64 bytes (SRV-5)")
        if not isinstance(self.key_ids, tuple) or not self.key_ids:
            raise InvalidRecordError("upload key_ids must be a non-empty tuple")
        for key_id in self.key_ids:
            check_row_id(key_id, "upload key id")
        check_interval(self.due_interval, "upload due_interval")
        check_time(self.created_wall_time, "upload created_wall_time")

    def __repr__(self) -> str:
        return f"UploadRecord(report_id={self.report_id}, keys={len(self.key_ids)})"


@dataclass(frozen=True, slots=True)
class StoredUpload(UploadRecord):
    """An upload read back: its token once exchanged, and how it ended (if it did).

    ``state`` is "exchanging" (no token yet), "waiting" (token held, keys not sent),
    "uploaded" or "failed" (``failure`` holds the error code).
    """

    token: bytes | None = field(default=None, kw_only=True)
    token_expires_s: int | None = field(default=None, kw_only=True)
    uploaded_wall_time: float | None = field(default=None, kw_only=True)
    accepted: int | None = field(default=None, kw_only=True)
    failure: str | None = field(default=None, kw_only=True)
    dropped_key_ids: tuple[int, ...] = field(default=(), kw_only=True)  # spec SRV-21

    @property
    def published_key_ids(self) -> tuple[int, ...]:
        """The keys the server stored: those sent, less those a recursive code dropped."""
        return tuple(k for k in self.key_ids if k not in set(self.dropped_key_ids))

    @property
    def state(self) -> str:
        """One of "exchanging", "waiting", "uploaded" and "failed"."""
        if self.failure is not None:
            return "failed"
        if self.uploaded_wall_time is not None:
            return "uploaded"
        return "exchanging" if self.token is None else "waiting"

    def __repr__(self) -> str:
        return f"StoredUpload(report_id={self.report_id}, state={self.state!r})"


@dataclass(frozen=True, slots=True)
class ServerLogState:
    """What the node accepted last from one transparency log (spec SRV-17, LOG-11).

    ``origin`` and ``log_key`` name the log and the verifier key it was checked with;
    ``checkpoint`` is the signed note; ``next_batch`` the first batch not yet downloaded.
    """

    origin: str
    log_key: str
    checkpoint: bytes
    tree_size: int
    next_batch: int
    updated_wall_time: float

    def __post_init__(self) -> None:
        _check_text(self.origin, "log origin")
        _check_text(self.log_key, "log key")
        if not isinstance(self.checkpoint, bytes) or not self.checkpoint:
            raise InvalidRecordError("log checkpoint must be non-empty bytes")
        for name in ("tree_size", "next_batch"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidRecordError(f"log {name} must be an int >= 0")
        if self.next_batch > self.tree_size:
            raise InvalidRecordError("log next_batch is past the tree size")
        check_time(self.updated_wall_time, "log updated_wall_time")


@dataclass(frozen=True, slots=True)
class CachedBatch:
    """A batch downloaded from a log and verified (export signature, inclusion: LOG-11).

    ``archive`` is its export file; ``end_s`` its end timestamp (unix seconds, EXP-5).
    """

    origin: str
    number: int
    leaf_hash: bytes
    end_s: int
    archive: bytes

    def __post_init__(self) -> None:
        _check_text(self.origin, "batch origin")
        check_row_id(self.number, "batch number")
        if self.number < 0:
            raise InvalidRecordError("batch number must be >= 0")
        _check_bytes(self.leaf_hash, 32, "batch leaf hash")
        check_row_id(self.end_s, "batch end_s")
        if not isinstance(self.archive, bytes) or not self.archive:
            raise InvalidRecordError("batch archive must be non-empty bytes")

    def __repr__(self) -> str:
        return f"CachedBatch({self.origin!r}, {self.number})"
