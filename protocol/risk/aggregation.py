"""From what the radio heard to exposure windows (spec RISK-4, RISK-5, RISK-6).

The caller (the node) hands in its scans in time order, each with the matched sightings it
heard: which diagnosis key, the attenuation (RISK-3) and the sender's calibration confidence.
Scans with no sighting still count: they set the next scan's ``seconds_since_last_scan``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bluezone.protocol.params import (
    EXPOSURE_WINDOW_MAX_SECONDS,
    MAX_ATTENUATION_DB,
    MAX_CALIBRATION_CONFIDENCE,
    MAX_DAYS_SINCE_ONSET,
    MAX_SECONDS_SINCE_LAST_SCAN,
    MIN_ATTENUATION_DB,
    MIN_DAYS_SINCE_ONSET,
    SECONDS_PER_DAY,
)
from bluezone.protocol.risk.errors import InvalidConfigurationError, InvalidSightingError
from bluezone.protocol.risk.jsonvalues import read_int, read_object
from bluezone.protocol.risk.windows import ExposureWindow, Infectiousness, ReportType, ScanInstance

__all__ = [
    "DiagnosisKeysDataMapping",
    "KeyReport",
    "Scan",
    "ScanSighting",
    "exposure_windows",
    "seconds_since_last_scan",
    "typical_attenuation",
]

_MAX_UNIX_SECONDS = (2**32 - 1) * 600


@dataclass(frozen=True, slots=True)
class ScanSighting:
    """One advertisement heard in a scan and matched to diagnosis key number ``key``."""

    key: int
    attenuation_db: int
    calibration_confidence: int

    def __post_init__(self) -> None:
        _check(self.key, "key", 0, 2**31 - 1)
        _check(self.attenuation_db, "attenuation_db", MIN_ATTENUATION_DB, MAX_ATTENUATION_DB)
        _check(self.calibration_confidence, "calibration_confidence", 0, MAX_CALIBRATION_CONFIDENCE)


@dataclass(frozen=True, slots=True)
class Scan:
    """One scan of the receiver: its start (unix seconds) and the matched sightings it heard."""

    start_s: int
    sightings: tuple[ScanSighting, ...] = ()

    def __post_init__(self) -> None:
        _check(self.start_s, "start_s", 0, _MAX_UNIX_SECONDS)
        if not isinstance(self.sightings, tuple) or not all(
            isinstance(s, ScanSighting) for s in self.sightings
        ):
            raise InvalidSightingError("RISK-4: sightings must be a tuple of ScanSighting")


@dataclass(frozen=True, slots=True)
class KeyReport:
    """What aggregation needs of a diagnosis key: report type and days since onset (or None)."""

    report_type: ReportType | None = None
    days_since_onset: int | None = None

    def __post_init__(self) -> None:
        if self.report_type is not None and not isinstance(self.report_type, ReportType):
            raise InvalidSightingError("RISK-6: report_type must be a ReportType or None")
        if self.days_since_onset is not None:
            _check(self.days_since_onset, "days_since_onset", -(2**31), 2**31 - 1)


@dataclass(frozen=True, slots=True)
class DiagnosisKeysDataMapping:
    """How a key's metadata becomes a window's infectiousness and report type (RISK-6).

    Days since onset absent from ``days_since_onset_to_infectiousness`` mean NONE.
    """

    days_since_onset_to_infectiousness: Mapping[int, Infectiousness] = field(default_factory=dict)
    infectiousness_when_days_since_onset_missing: Infectiousness = Infectiousness.STANDARD
    report_type_when_missing: ReportType = ReportType.CONFIRMED_TEST

    def __post_init__(self) -> None:
        if self.report_type_when_missing in (ReportType.UNKNOWN, ReportType.REVOKED):
            raise InvalidConfigurationError("RISK-6: report_type_when_missing must be scorable")

    @classmethod
    def from_json(cls, value: Any) -> DiagnosisKeysDataMapping:
        """Read ``{"days_since_onset_to_infectiousness": {"-14": 0, ...},
        "infectiousness_when_days_since_onset_missing": 1, "report_type_when_missing": 1}``."""
        err = InvalidConfigurationError
        obj = read_object(
            value,
            "diagnosis_keys_data_mapping",
            err,
            required=(
                "days_since_onset_to_infectiousness",
                "infectiousness_when_days_since_onset_missing",
                "report_type_when_missing",
            ),
        )
        days = read_object(
            obj["days_since_onset_to_infectiousness"],
            "days_since_onset_to_infectiousness",
            err,
            optional=tuple(str(d) for d in range(MIN_DAYS_SINCE_ONSET, MAX_DAYS_SINCE_ONSET + 1)),
        )
        mapping = {
            int(day): Infectiousness(
                read_int(level, f"days_since_onset_to_infectiousness[{day}]", err, 0, 2)
            )
            for day, level in days.items()
        }
        return cls(
            days_since_onset_to_infectiousness=dict(sorted(mapping.items())),
            infectiousness_when_days_since_onset_missing=Infectiousness(
                read_int(
                    obj["infectiousness_when_days_since_onset_missing"],
                    "infectiousness_when_days_since_onset_missing",
                    err,
                    0,
                    2,
                )
            ),
            report_type_when_missing=ReportType(
                read_int(obj["report_type_when_missing"], "report_type_when_missing", err, 1, 4)
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form read by ``from_json``."""
        return {
            "days_since_onset_to_infectiousness": {
                str(day): int(level)
                for day, level in self.days_since_onset_to_infectiousness.items()
            },
            "infectiousness_when_days_since_onset_missing": int(
                self.infectiousness_when_days_since_onset_missing
            ),
            "report_type_when_missing": int(self.report_type_when_missing),
        }

    def infectiousness(self, days_since_onset: int | None) -> Infectiousness:
        """Infectiousness for a key's days since onset of symptoms (spec RISK-6)."""
        if days_since_onset is None:
            return self.infectiousness_when_days_since_onset_missing
        return self.days_since_onset_to_infectiousness.get(days_since_onset, Infectiousness.NONE)

    def report_type(self, report_type: ReportType | None) -> ReportType | None:
        """Scorable report type for a key, or None when the key is revoked (spec RISK-6)."""
        if report_type is None or report_type == ReportType.UNKNOWN:
            return self.report_type_when_missing
        if report_type == ReportType.REVOKED:
            return None
        return report_type


def _check(value: object, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidSightingError(f"RISK-4: {name} must be an integer in {low}..{high}")


def typical_attenuation(attenuations: Sequence[int]) -> int:
    """Mean attenuation of one key in one scan, rounded half up to a whole dB (spec RISK-4)."""
    count = len(attenuations)
    return (2 * sum(attenuations) + count) // (2 * count)


def seconds_since_last_scan(scans: Sequence[Scan]) -> list[int]:
    """Seconds since each scan's predecessor, capped at 300 s; the first counts 300 (RISK-4)."""
    result = []
    for index, scan in enumerate(scans):
        if index == 0:
            result.append(MAX_SECONDS_SINCE_LAST_SCAN)
            continue
        gap = scan.start_s - scans[index - 1].start_s
        if gap <= 0:
            raise InvalidSightingError("RISK-4: scans must be in strictly increasing start order")
        result.append(min(gap, MAX_SECONDS_SINCE_LAST_SCAN))
    return result


def exposure_windows(
    scans: Sequence[Scan], keys: Sequence[KeyReport], mapping: DiagnosisKeysDataMapping
) -> tuple[ExposureWindow, ...]:
    """Exposure windows of every key heard in ``scans`` (spec RISK-4, RISK-5, RISK-6).

    ``keys[k]`` describes diagnosis key ``k`` named by the sightings. Windows are ordered by
    key, then time. Keys whose infectiousness is NONE or whose report is revoked give none.
    """
    gaps = seconds_since_last_scan(scans)
    per_key: dict[int, list[tuple[int, ScanInstance, int]]] = {}
    for scan, gap in zip(scans, gaps, strict=True):
        heard: dict[int, list[ScanSighting]] = {}
        for sighting in scan.sightings:
            if sighting.key >= len(keys):
                raise InvalidSightingError(f"RISK-4: sighting names key {sighting.key}, unknown")
            heard.setdefault(sighting.key, []).append(sighting)
        for key, sightings in heard.items():
            attenuations = [s.attenuation_db for s in sightings]
            instance = ScanInstance(typical_attenuation(attenuations), min(attenuations), gap)
            confidence = min(s.calibration_confidence for s in sightings)
            per_key.setdefault(key, []).append((scan.start_s, instance, confidence))
    windows: list[ExposureWindow] = []
    for key in sorted(per_key):
        windows.extend(_windows_of_key(per_key[key], keys[key], mapping))
    return tuple(windows)


def _windows_of_key(
    instances: list[tuple[int, ScanInstance, int]],
    key: KeyReport,
    mapping: DiagnosisKeysDataMapping,
) -> list[ExposureWindow]:
    """Split one key's scan instances into windows of one UTC day and < 30 minutes (RISK-5)."""
    report_type = mapping.report_type(key.report_type)
    infectiousness = mapping.infectiousness(key.days_since_onset)
    if report_type is None or infectiousness == Infectiousness.NONE:
        return []
    groups: list[list[tuple[int, ScanInstance, int]]] = []
    for item in instances:
        start = item[0]
        if groups:
            first = groups[-1][0][0]
            same_day = first // SECONDS_PER_DAY == start // SECONDS_PER_DAY
            if same_day and start - first < EXPOSURE_WINDOW_MAX_SECONDS:
                groups[-1].append(item)
                continue
        groups.append([item])
    return [
        ExposureWindow(
            day=group[0][0] // SECONDS_PER_DAY,
            report_type=report_type,
            infectiousness=infectiousness,
            calibration_confidence=min(c for _, _, c in group),
            scan_instances=tuple(s for _, s, _ in group),
        )
        for group in groups
    ]
