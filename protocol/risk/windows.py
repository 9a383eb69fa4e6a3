"""Exposure windows and scan instances: the records every scorer reads (spec RISK-4..RISK-9).

The JSON form (snake_case, GAEN's field names) is what vectors and the adapter carry:
``{"day", "report_type", "infectiousness", "calibration_confidence", "scan_instances":
[{"typical_attenuation_db", "min_attenuation_db", "seconds_since_last_scan"}]}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from bluezone.protocol.params import (
    INFECTIOUSNESS_HIGH,
    INFECTIOUSNESS_NONE,
    INFECTIOUSNESS_STANDARD,
    MAX_ATTENUATION_DB,
    MAX_CALIBRATION_CONFIDENCE,
    MAX_DAY,
    MAX_EXPOSURE_WINDOWS,
    MAX_SCAN_INSTANCES_PER_WINDOW,
    MAX_SECONDS_IN_SCAN_INSTANCE,
    MIN_ATTENUATION_DB,
    REPORT_TYPE_CONFIRMED_CLINICAL_DIAGNOSIS,
    REPORT_TYPE_CONFIRMED_TEST,
    REPORT_TYPE_RECURSIVE,
    REPORT_TYPE_REVOKED,
    REPORT_TYPE_SELF_REPORT,
    REPORT_TYPE_UNKNOWN,
)
from bluezone.protocol.risk.errors import InvalidExposureWindowError
from bluezone.protocol.risk.jsonvalues import read_int, read_list, read_object

__all__ = [
    "SCORABLE_REPORT_TYPES",
    "ExposureWindow",
    "Infectiousness",
    "ReportType",
    "ScanInstance",
    "windows_from_json",
    "windows_to_json",
]


class ReportType(IntEnum):
    """How the diagnosis behind a key was established (GAEN ReportType codes, RISK-6)."""

    UNKNOWN = REPORT_TYPE_UNKNOWN
    CONFIRMED_TEST = REPORT_TYPE_CONFIRMED_TEST
    CONFIRMED_CLINICAL_DIAGNOSIS = REPORT_TYPE_CONFIRMED_CLINICAL_DIAGNOSIS
    SELF_REPORT = REPORT_TYPE_SELF_REPORT
    RECURSIVE = REPORT_TYPE_RECURSIVE
    REVOKED = REPORT_TYPE_REVOKED


class Infectiousness(IntEnum):
    """The sender's infectiousness on the key's day (GAEN Infectiousness codes, RISK-6)."""

    NONE = INFECTIOUSNESS_NONE
    STANDARD = INFECTIOUSNESS_STANDARD
    HIGH = INFECTIOUSNESS_HIGH


# spec RISK-9: only these report types reach a scorer; UNKNOWN is resolved and REVOKED dropped
# by aggregation (RISK-6).
SCORABLE_REPORT_TYPES = (
    ReportType.CONFIRMED_TEST,
    ReportType.CONFIRMED_CLINICAL_DIAGNOSIS,
    ReportType.SELF_REPORT,
    ReportType.RECURSIVE,
)


@dataclass(frozen=True, slots=True)
class ScanInstance:
    """One scan's view of one key: typical and minimum attenuation (dB), seconds weight (RISK-4).

    ``seconds_since_last_scan`` may be negative in windows from foreign sources (a clock set
    back); every scorer counts a negative value as 0 (RISK-9).
    """

    typical_attenuation_db: int
    min_attenuation_db: int
    seconds_since_last_scan: int

    def __post_init__(self) -> None:
        _check_int(self.typical_attenuation_db, "typical_attenuation_db", *_ATTENUATION)
        _check_int(self.min_attenuation_db, "min_attenuation_db", *_ATTENUATION)
        _check_int(self.seconds_since_last_scan, "seconds_since_last_scan", *_SECONDS)

    @property
    def seconds(self) -> int:
        """Seconds this instance counts for in every scorer: negative values count 0 (RISK-9)."""
        return max(self.seconds_since_last_scan, 0)


@dataclass(frozen=True, slots=True)
class ExposureWindow:
    """Up to 30 minutes of one key on one UTC day, with the key's report type (RISK-5, RISK-9).

    ``day`` is the UTC day number (days since 1970-01-01).
    """

    day: int
    report_type: ReportType
    infectiousness: Infectiousness
    calibration_confidence: int
    scan_instances: tuple[ScanInstance, ...]

    def __post_init__(self) -> None:
        _check_int(self.day, "day", 0, MAX_DAY)
        if not isinstance(self.report_type, ReportType) or (
            self.report_type not in SCORABLE_REPORT_TYPES
        ):
            raise InvalidExposureWindowError(
                f"RISK-9: report_type {self.report_type!r} not scorable"
            )
        if not isinstance(self.infectiousness, Infectiousness) or (
            self.infectiousness == Infectiousness.NONE
        ):
            raise InvalidExposureWindowError(
                f"RISK-9: infectiousness {self.infectiousness!r} not scorable"
            )
        _check_int(
            self.calibration_confidence, "calibration_confidence", 0, MAX_CALIBRATION_CONFIDENCE
        )
        if not isinstance(self.scan_instances, tuple) or not all(
            isinstance(s, ScanInstance) for s in self.scan_instances
        ):
            raise InvalidExposureWindowError(
                "RISK-9: scan_instances must be a tuple of ScanInstance"
            )
        if len(self.scan_instances) > MAX_SCAN_INSTANCES_PER_WINDOW:
            raise InvalidExposureWindowError(
                f"RISK-9: {len(self.scan_instances)} scan instances, "
                f"at most {MAX_SCAN_INSTANCES_PER_WINDOW}"
            )


_ATTENUATION = (MIN_ATTENUATION_DB, MAX_ATTENUATION_DB)
_SECONDS = (-MAX_SECONDS_IN_SCAN_INSTANCE, MAX_SECONDS_IN_SCAN_INSTANCE)
_WINDOW_FIELDS = (
    "day",
    "report_type",
    "infectiousness",
    "calibration_confidence",
    "scan_instances",
)
_SCAN_FIELDS = ("typical_attenuation_db", "min_attenuation_db", "seconds_since_last_scan")


def _check_int(value: object, field: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidExposureWindowError(f"RISK-9: {field} must be an integer in {low}..{high}")


def windows_from_json(value: Any) -> tuple[ExposureWindow, ...]:
    """Read a JSON list of exposure windows (RISK-9); raises InvalidExposureWindowError."""
    items = read_list(value, "windows", InvalidExposureWindowError, MAX_EXPOSURE_WINDOWS)
    return tuple(_window_from_json(item, f"windows[{i}]") for i, item in enumerate(items))


def _window_from_json(value: Any, field: str) -> ExposureWindow:
    err = InvalidExposureWindowError
    obj = read_object(value, field, err, required=_WINDOW_FIELDS)
    scans = read_list(
        obj["scan_instances"], f"{field}.scan_instances", err, MAX_SCAN_INSTANCES_PER_WINDOW
    )
    report_type = read_int(obj["report_type"], f"{field}.report_type", err, 0, 5)
    infectiousness = read_int(obj["infectiousness"], f"{field}.infectiousness", err, 0, 2)
    return ExposureWindow(
        day=read_int(obj["day"], f"{field}.day", err, 0, MAX_DAY),
        report_type=ReportType(report_type),
        infectiousness=Infectiousness(infectiousness),
        calibration_confidence=read_int(
            obj["calibration_confidence"],
            f"{field}.calibration_confidence",
            err,
            0,
            MAX_CALIBRATION_CONFIDENCE,
        ),
        scan_instances=tuple(
            _scan_from_json(s, f"{field}.scan_instances[{j}]") for j, s in enumerate(scans)
        ),
    )


def _scan_from_json(value: Any, field: str) -> ScanInstance:
    err = InvalidExposureWindowError
    obj = read_object(value, field, err, required=_SCAN_FIELDS)
    return ScanInstance(
        typical_attenuation_db=read_int(
            obj["typical_attenuation_db"], f"{field}.typical_attenuation_db", err, *_ATTENUATION
        ),
        min_attenuation_db=read_int(
            obj["min_attenuation_db"], f"{field}.min_attenuation_db", err, *_ATTENUATION
        ),
        seconds_since_last_scan=read_int(
            obj["seconds_since_last_scan"], f"{field}.seconds_since_last_scan", err, *_SECONDS
        ),
    )


def windows_to_json(windows: Iterable[ExposureWindow]) -> list[dict[str, Any]]:
    """Write exposure windows in their JSON form (the inverse of windows_from_json)."""
    return [
        {
            "day": w.day,
            "report_type": int(w.report_type),
            "infectiousness": int(w.infectiousness),
            "calibration_confidence": w.calibration_confidence,
            "scan_instances": [
                {
                    "typical_attenuation_db": s.typical_attenuation_db,
                    "min_attenuation_db": s.min_attenuation_db,
                    "seconds_since_last_scan": s.seconds_since_last_scan,
                }
                for s in w.scan_instances
            ],
        }
        for w in windows
    ]


def total_seconds(scans: Sequence[ScanInstance]) -> int:
    """Sum of the seconds the scan instances count for (negative values as 0, RISK-9)."""
    return sum(s.seconds for s in scans)
