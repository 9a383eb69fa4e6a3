"""The exposure check's arithmetic: match, aggregate into exposure windows, score.

`assess` takes the published keys, the node's stored sightings and scans, and returns an
`ExposureAssessment`: which sightings matched (spec MATCH-1..9), the exposure windows they
form (RISK-3..6), and their scores under GAEN v2 with the ENX recommended defaults
(RISK-10..15) and, alongside, the proximity profile (RISK-50..56). It does no I/O and keeps
no key material: the assessment names keys only by their position in this check.
"""

from __future__ import annotations

import bisect
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from bluezone.protocol.keys import TemporaryExposureKey, interval_number
from bluezone.protocol.matching import check_exposures
from bluezone.protocol.params import SECONDS_PER_DAY
from bluezone.protocol.risk.aggregation import KeyReport, Scan, ScanSighting, exposure_windows
from bluezone.protocol.risk.attenuation import attenuation
from bluezone.protocol.risk.levels import F1, F2, Level, LevelSettings, exposure_level
from bluezone.protocol.risk.proximity import (
    ProximityConfig,
    proximity_window_score,
    score_proximity,
    smooth_window,
)
from bluezone.protocol.risk.resources import enx_defaults, proximity_defaults
from bluezone.protocol.risk.v2 import (
    INFECTIOUSNESS_NAMES,
    REPORT_TYPE_NAMES,
    V2Profile,
    score_v2,
    v2_weighted_duration,
    v2_window_score,
)
from bluezone.protocol.risk.windows import ExposureWindow, ReportType
from bluezone.reference_node.store import StoredScan, StoredSighting

BUCKET_NAMES = ("immediate", "near", "medium", "other")  # GAEN's names, RISK-10
# spec EXP-5: names of every report type a published key may carry (RISK-61 counts them).
KEY_REPORT_TYPE_NAMES = {
    0: "unknown",
    1: "confirmed_test",
    2: "confirmed_clinical_diagnosis",
    3: "self_report",
    4: "recursive",
    5: "revoked",
    None: "unknown",
}
# spec RISK-60: what the user is told at each level.
LEVEL_WORDING = {
    F1: "You were near someone who tested positive (F1): follow the health authority's advice"
    " for close contacts.",
    F2: "You were near someone who was near a confirmed case (F2). You are not asked to report:"
    " the health authority decides whom to trace further.",
    "none": "No exposure reached a notification threshold.",
}
WITHDRAWN_WORDING = (
    "The report behind your earlier alert was withdrawn after a negative test: you are no"
    " longer considered exposed."
)
OUTSIDE_SCAN = "outside_scan"
NO_METADATA = "no_metadata"


@dataclass(frozen=True, slots=True)
class RiskSettings:
    """The scorers a node uses: a GAEN v2 profile and, optionally, the proximity profile."""

    v2: V2Profile
    proximity: ProximityConfig | None = None
    levels: LevelSettings = field(default_factory=LevelSettings)

    @classmethod
    def defaults(cls) -> RiskSettings:
        """ENX recommended defaults (RISK-15) and the shipped proximity profile (RISK-57)."""
        return cls(enx_defaults(), proximity_defaults())

    def describe(self) -> dict[str, Any]:
        """The scorers' parameters that explain a verdict, as JSON."""
        config = self.v2.daily_summaries_config
        result: dict[str, Any] = {
            "v2": {
                "name": "GAEN v2 daily summaries, ENX recommended defaults",
                "attenuation_bucket_thresholds_db": list(config.attenuation_bucket_thresholds_db),
                "attenuation_bucket_weights": dict(
                    zip(BUCKET_NAMES, map(_number, config.attenuation_bucket_weights), strict=True)
                ),
                "infectiousness_weights": {
                    INFECTIOUSNESS_NAMES[k]: _number(v)
                    for k, v in config.infectiousness_weights.items()
                },
                "report_type_weights": {
                    REPORT_TYPE_NAMES[k]: _number(v) for k, v in config.report_type_weights.items()
                },
                "score_sum_threshold": _number(self.v2.score_sum_threshold),
            },
            "levels": {
                "name": "F1 and F2 levels (spec RISK-59)",
                "f1_score_sum_threshold": _number(self.v2.score_sum_threshold),
                "f2_recursive_weight": _number(self.levels.recursive_weight),
                "f2_score_sum_threshold": _number(self.levels.recursive_score_sum_threshold),
            },
        }
        if self.proximity is not None:
            result["proximity"] = {
                "name": "proximity profile (spec 5.8)",
                "kernel_distance_m": self.proximity.kernel_distance_m,
                "attenuation_at_1m_db": self.proximity.attenuation_at_1m_db,
                "path_loss_exponent": self.proximity.path_loss_exponent,
                "score_threshold_s": self.proximity.score_threshold_s,
            }
        return result


@dataclass(frozen=True, slots=True)
class WindowReport:
    """One exposure window and its scores. Times are unix seconds of scan starts."""

    exposure: int
    day: int
    first_scan_s: int
    last_scan_s: int
    scan_instances: int
    seconds: int
    seconds_by_bucket: dict[str, int]
    typical_attenuation_db: tuple[int, int]
    min_attenuation_db: int
    calibration_confidence: int
    infectiousness: str
    report_type: str
    v2_weighted_duration: float
    v2_score: float
    proximity_score: float | None
    distance_m: float | None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "exposure": self.exposure,
            "day": self.day,
            "first_scan_s": self.first_scan_s,
            "last_scan_s": self.last_scan_s,
            "scan_instances": self.scan_instances,
            "seconds": self.seconds,
            "seconds_by_bucket": dict(self.seconds_by_bucket),
            "typical_attenuation_db": {
                "lowest": self.typical_attenuation_db[0],
                "highest": self.typical_attenuation_db[1],
            },
            "min_attenuation_db": self.min_attenuation_db,
            "calibration_confidence": self.calibration_confidence,
            "infectiousness": self.infectiousness,
            "report_type": self.report_type,
            "v2_weighted_duration": self.v2_weighted_duration,
            "v2_score": self.v2_score,
            "proximity_score": self.proximity_score,
            "distance_m": self.distance_m,
        }


@dataclass(frozen=True, slots=True)
class DayReport:
    """One UTC day's summary and verdicts (RISK-14, RISK-15, RISK-56)."""

    day: int
    v2_score_sum: float
    v2_maximum_score: float
    v2_weighted_duration_sum: float
    exposed: bool
    proximity_score: float | None
    exposed_proximity: bool | None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "day": self.day,
            "v2_score_sum": self.v2_score_sum,
            "v2_maximum_score": self.v2_maximum_score,
            "v2_weighted_duration_sum": self.v2_weighted_duration_sum,
            "exposed": self.exposed,
            "proximity_score": self.proximity_score,
            "exposed_proximity": self.exposed_proximity,
        }


@dataclass(frozen=True, slots=True)
class ExposureAssessment:
    """The outcome of one exposure check (spec MATCH-10: it stays on the device)."""

    checked_wall_time: float
    checked_interval: int
    keys_checked: int
    keys_rejected: dict[str, int]
    sightings_checked: int
    matched_sightings: int
    sightings_left_out: dict[str, int]
    exposures: int
    windows: tuple[WindowReport, ...]
    days: tuple[DayReport, ...]
    scorers: dict[str, Any] = field(default_factory=dict)
    level: Level | None = None
    matched_keys: dict[str, int] = field(default_factory=dict)

    @property
    def level_name(self) -> str:
        """ "F1", "F2" or "none" (spec RISK-59)."""
        return "none" if self.level is None else self.level.level

    def level_json(self) -> dict[str, Any]:
        """The level, the day, score and threshold behind it, and its wording (RISK-60)."""
        level = self.level
        return {
            "level": self.level_name,
            "day": None if level is None else level.day,
            "score": 0 if level is None else _number(level.score),
            "threshold": None if level is None else _number(level.threshold),
            "wording": LEVEL_WORDING[self.level_name],
            "days": []
            if level is None
            else [
                {"day": d.day, "f1_score": _number(d.f1_score), "f2_score": _number(d.f2_score)}
                for d in level.days
            ],
        }

    @property
    def exposed(self) -> bool:
        """Whether a day reached the v2 notification threshold (RISK-15)."""
        return any(day.exposed for day in self.days)

    @property
    def exposed_proximity(self) -> bool | None:
        """Whether a day reached the proximity threshold (RISK-56); None without the profile."""
        verdicts = [day.exposed_proximity for day in self.days]
        if any(v is None for v in verdicts) or "proximity" not in self.scorers:
            return None
        return any(verdicts)

    def to_json(self) -> dict[str, Any]:
        """JSON form (what the store keeps as the check's details)."""
        return {
            "checked_wall_time": self.checked_wall_time,
            "checked_interval": self.checked_interval,
            "keys_checked": self.keys_checked,
            "keys_rejected": dict(self.keys_rejected),
            "sightings_checked": self.sightings_checked,
            "matched_sightings": self.matched_sightings,
            "sightings_left_out": dict(self.sightings_left_out),
            "exposures": self.exposures,
            "windows": [w.to_json() for w in self.windows],
            "days": [d.to_json() for d in self.days],
            "exposed": self.exposed,
            "exposed_proximity": self.exposed_proximity,
            "scorers": self.scorers,
            "level": self.level_json(),
            "matched_keys": dict(self.matched_keys),
        }


def _number(value: Fraction | float | int) -> float | int:
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return round(float(value), 6)


class _ScanIndex:
    """The node's scans in start order, merged by start second (RISK-4: strictly increasing)."""

    def __init__(self, scans: Sequence[StoredScan]) -> None:
        ordered = sorted(scans, key=lambda s: (s.start_wall_time, s.scan_id))
        self.starts_s: list[int] = []
        self._begins: list[float] = []
        self._ends: list[float] = []
        for scan in ordered:
            second = int(scan.start_wall_time)
            if self.starts_s and self.starts_s[-1] == second:
                self._ends[-1] = max(self._ends[-1], scan.end_wall_time)
                continue
            self.starts_s.append(second)
            self._begins.append(scan.start_wall_time)
            self._ends.append(scan.end_wall_time)

    def locate(self, wall_time: float) -> int | None:
        """The index of the scan that heard a sighting at ``wall_time``, or None."""
        index = bisect.bisect_right(self._begins, wall_time) - 1
        if index >= 0 and wall_time <= self._ends[index]:
            return index
        return None


def _key_report(key: TemporaryExposureKey) -> KeyReport:
    report_type = None if key.report_type is None else ReportType(key.report_type)
    return KeyReport(report_type, key.days_since_onset)


def assess(
    keys: Sequence[TemporaryExposureKey],
    sightings: Sequence[StoredSighting],
    scans: Sequence[StoredScan],
    now_s: float,
    rssi_correction_db: int,
    risk: RiskSettings,
) -> ExposureAssessment:
    """Check ``keys`` against the node's ``sightings`` at unix time ``now_s`` and score.

    ``rssi_correction_db`` is this receiver's calibration (RISK-2, RISK-3). Sightings are
    placed in the scan that heard them; one that falls in no recorded scan, or has no
    metadata to compute an attenuation from, is left out and counted.
    """
    now_interval = interval_number(now_s)
    check = check_exposures(keys, [s.to_protocol() for s in sightings], now_interval)
    index = _ScanIndex(scans)
    left_out: Counter[str] = Counter(r.code for r in check.discarded_sightings)
    windows: list[tuple[int, ExposureWindow, list[int]]] = []
    matched = 0
    matched_keys: Counter[str] = Counter()
    for number, exposure in enumerate(check.exposures):
        matched_keys[KEY_REPORT_TYPE_NAMES.get(exposure.key.report_type, "unknown")] += 1
        per_scan: dict[int, list[ScanSighting]] = {}
        for found in exposure.sightings:
            stored = sightings[found.sighting_index]
            position = index.locate(stored.wall_time)
            if position is None or found.metadata is None or stored.rssi is None:
                left_out[OUTSIDE_SCAN if position is None else NO_METADATA] += 1
                continue
            matched += 1
            value = attenuation(found.metadata.tx_power, stored.rssi, rssi_correction_db)
            per_scan.setdefault(position, []).append(
                ScanSighting(0, value, found.metadata.calibration_confidence)
            )
        series = [Scan(start, tuple(per_scan.get(i, ()))) for i, start in enumerate(index.starts_s)]
        heard_at = [index.starts_s[i] for i in sorted(per_scan)]
        key_windows = exposure_windows(
            series, [_key_report(exposure.key)], risk.v2.diagnosis_keys_data_mapping
        )
        offset = 0
        for window in key_windows:
            count = len(window.scan_instances)
            windows.append((number, window, heard_at[offset : offset + count]))
            offset += count
    reports = tuple(_window_report(n, w, times, risk) for n, w, times in windows)
    days = _days([w for _, w, _ in windows], now_s, risk)
    level = exposure_level(  # spec RISK-59
        [w for _, w, _ in windows], risk.v2, risk.levels, int(now_s // SECONDS_PER_DAY)
    )
    return ExposureAssessment(
        checked_wall_time=now_s,
        checked_interval=now_interval,
        keys_checked=len(keys),
        keys_rejected=dict(Counter(r.code for r in check.rejected_keys)),
        sightings_checked=len(sightings),
        matched_sightings=matched,
        sightings_left_out=dict(left_out),
        exposures=len(check.exposures),
        windows=reports,
        days=days,
        scorers=risk.describe(),
        level=level,
        matched_keys=dict(matched_keys),
    )


def _window_report(
    number: int, window: ExposureWindow, times: list[int], risk: RiskSettings
) -> WindowReport:
    config = risk.v2.daily_summaries_config
    buckets: Counter[str] = Counter()
    for scan in window.scan_instances:
        bucket = sum(
            scan.typical_attenuation_db > edge for edge in config.attenuation_bucket_thresholds_db
        )
        buckets[BUCKET_NAMES[bucket]] += scan.seconds
    typical = [s.typical_attenuation_db for s in window.scan_instances]
    proximity_score = distance = None
    if risk.proximity is not None:
        proximity_score = round(proximity_window_score(risk.proximity, window), 3)
        estimates = smooth_window(risk.proximity, window)
        distance = round(statistics.median(e.median_m for e in estimates), 2)
    return WindowReport(
        exposure=number,
        day=window.day,
        first_scan_s=times[0],
        last_scan_s=times[-1],
        scan_instances=len(window.scan_instances),
        seconds=sum(s.seconds for s in window.scan_instances),
        seconds_by_bucket={name: buckets[name] for name in BUCKET_NAMES if buckets[name]},
        typical_attenuation_db=(min(typical), max(typical)),
        min_attenuation_db=min(s.min_attenuation_db for s in window.scan_instances),
        calibration_confidence=window.calibration_confidence,
        infectiousness=INFECTIOUSNESS_NAMES[window.infectiousness],
        report_type=REPORT_TYPE_NAMES[window.report_type],
        v2_weighted_duration=_number(v2_weighted_duration(config, window)),
        v2_score=_number(v2_window_score(config, window)),
        proximity_score=proximity_score,
        distance_m=distance,
    )


def _days(
    windows: Sequence[ExposureWindow], now_s: float, risk: RiskSettings
) -> tuple[DayReport, ...]:
    today = int(now_s // SECONDS_PER_DAY)
    threshold = risk.v2.score_sum_threshold
    summaries = {s.day: s for s in score_v2(risk.v2.daily_summaries_config, windows, today)}
    proximity = {}
    if risk.proximity is not None:
        proximity = {d.day: d.score for d in score_proximity(risk.proximity, windows)}
    reports = []
    for day in sorted(summaries.keys() | proximity.keys()):
        summary = summaries.get(day)
        score = proximity.get(day)
        score_sum = Fraction(0) if summary is None else summary.score_sum
        reports.append(
            DayReport(
                day=day,
                v2_score_sum=_number(score_sum),
                v2_maximum_score=_number(Fraction(0) if summary is None else summary.maximum_score),
                v2_weighted_duration_sum=_number(
                    Fraction(0) if summary is None else summary.weighted_duration_sum
                ),
                exposed=summary is not None and score_sum >= threshold,  # spec RISK-15
                proximity_score=None if score is None else round(score, 3),
                exposed_proximity=(
                    None
                    if risk.proximity is None or score is None
                    else score >= risk.proximity.score_threshold_s  # spec RISK-56
                ),
            )
        )
    return tuple(reports)
