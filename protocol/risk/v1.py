"""GAEN v1 risk scores (ExposureConfiguration) over exposure windows (spec RISK-20..RISK-25).

Each exposure window is one v1 exposure (one key, one day, at most 30 minutes: what v1's
ExposureInformation described). The configuration is snake_case JSON:
``{"minimum_risk_score", "attenuation_scores", "days_since_last_exposure_scores",
"duration_scores", "transmission_risk_scores", "duration_at_attenuation_thresholds_db",
"transmission_risk_level_encoding"}``; the last maps report type and infectiousness to the
transmission risk level 1..8, as CWA did (RISK-20), so RECURSIVE carries its own level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bluezone.protocol.params import (
    MAX_ATTENUATION_DB,
    MAX_DAY,
    MIN_ATTENUATION_DB,
    RISK_MAX_TRANSMISSION_RISK_LEVEL,
    RISK_MIN_TRANSMISSION_RISK_LEVEL,
    V1_ATTENUATION_BUCKET_EDGES,
    V1_DAYS_BUCKET_EDGES,
    V1_DURATION_STEP_MINUTES,
    V1_MAX_ATTENUATION_DURATION_MINUTES,
    V1_MAX_DURATION_MINUTES,
    V1_MAX_RISK_SCORE,
    V1_MAX_SCORE,
    V1_SCORE_COUNT,
)
from bluezone.protocol.risk.errors import InvalidConfigurationError, InvalidExposureWindowError
from bluezone.protocol.risk.jsonvalues import read_int, read_list, read_object
from bluezone.protocol.risk.windows import ExposureWindow, Infectiousness, ReportType, total_seconds

__all__ = ["ExposureConfiguration", "V1Exposure", "V1Summary", "score_v1", "v1_exposure"]

_ERR = InvalidConfigurationError
_SCORE_ARRAYS = (
    "attenuation_scores",
    "days_since_last_exposure_scores",
    "duration_scores",
    "transmission_risk_scores",
)
_ENCODING_FIELDS = (
    "infectiousness_offset_standard",
    "infectiousness_offset_high",
    "report_type_offset_recursive",
    "report_type_offset_self_report",
    "report_type_offset_confirmed_clinical_diagnosis",
    "report_type_offset_confirmed_test",
)
_REPORT_OFFSET = {
    ReportType.RECURSIVE: "report_type_offset_recursive",
    ReportType.SELF_REPORT: "report_type_offset_self_report",
    ReportType.CONFIRMED_CLINICAL_DIAGNOSIS: "report_type_offset_confirmed_clinical_diagnosis",
    ReportType.CONFIRMED_TEST: "report_type_offset_confirmed_test",
}
_INFECTIOUSNESS_OFFSET = {
    Infectiousness.STANDARD: "infectiousness_offset_standard",
    Infectiousness.HIGH: "infectiousness_offset_high",
}


@dataclass(frozen=True, slots=True)
class ExposureConfiguration:
    """GAEN v1 ``ExposureConfiguration`` plus the transmission risk level encoding (RISK-20)."""

    minimum_risk_score: int
    attenuation_scores: tuple[int, ...]
    days_since_last_exposure_scores: tuple[int, ...]
    duration_scores: tuple[int, ...]
    transmission_risk_scores: tuple[int, ...]
    duration_at_attenuation_thresholds_db: tuple[int, int]
    transmission_risk_level_encoding: tuple[tuple[str, int], ...]

    @classmethod
    def from_json(cls, value: Any) -> ExposureConfiguration:
        """Read the snake_case JSON form; raises InvalidConfigurationError (RISK-8)."""
        obj = read_object(
            value,
            "exposure_configuration",
            _ERR,
            required=(
                "minimum_risk_score",
                *_SCORE_ARRAYS,
                "duration_at_attenuation_thresholds_db",
                "transmission_risk_level_encoding",
            ),
        )
        arrays = {name: _scores(obj[name], name) for name in _SCORE_ARRAYS}
        thresholds = read_list(
            obj["duration_at_attenuation_thresholds_db"],
            "duration_at_attenuation_thresholds_db",
            _ERR,
        )
        if len(thresholds) != 2:
            raise _ERR("RISK-24: duration_at_attenuation_thresholds_db needs 2 values")
        low, high = (
            read_int(t, f"duration_at_attenuation_thresholds_db[{i}]", _ERR, *_DB)
            for i, t in enumerate(thresholds)
        )
        if low > high:
            raise _ERR("RISK-24: duration_at_attenuation_thresholds_db must not decrease")
        encoding_obj = read_object(
            obj["transmission_risk_level_encoding"],
            "transmission_risk_level_encoding",
            _ERR,
            required=_ENCODING_FIELDS,
        )
        encoding = tuple(
            (
                name,
                read_int(
                    encoding_obj[name], f"transmission_risk_level_encoding.{name}", _ERR, 0, 8
                ),
            )
            for name in _ENCODING_FIELDS
        )
        config = cls(
            minimum_risk_score=read_int(
                obj["minimum_risk_score"], "minimum_risk_score", _ERR, 0, V1_MAX_RISK_SCORE
            ),
            duration_at_attenuation_thresholds_db=(low, high),
            transmission_risk_level_encoding=encoding,
            **arrays,
        )
        for report_type in _REPORT_OFFSET:
            for infectiousness in _INFECTIOUSNESS_OFFSET:
                level = config.transmission_risk_level(report_type, infectiousness)
                if (
                    not RISK_MIN_TRANSMISSION_RISK_LEVEL
                    <= level
                    <= RISK_MAX_TRANSMISSION_RISK_LEVEL
                ):
                    raise _ERR(f"RISK-20: encoding gives transmission risk level {level}, not 1..8")
        return config

    def transmission_risk_level(
        self, report_type: ReportType, infectiousness: Infectiousness
    ) -> int:
        """Report type offset + infectiousness offset (spec RISK-20)."""
        offsets = dict(self.transmission_risk_level_encoding)
        return (
            offsets[_REPORT_OFFSET[report_type]] + offsets[_INFECTIOUSNESS_OFFSET[infectiousness]]
        )


_DB = (MIN_ATTENUATION_DB, MAX_ATTENUATION_DB)


def _scores(value: Any, field: str) -> tuple[int, ...]:
    items = read_list(value, field, _ERR)
    if len(items) != V1_SCORE_COUNT:
        raise _ERR(f"RISK-20: {field} needs {V1_SCORE_COUNT} scores")
    return tuple(read_int(v, f"{field}[{i}]", _ERR, 0, V1_MAX_SCORE) for i, v in enumerate(items))


@dataclass(frozen=True, slots=True)
class V1Exposure:
    """One window read as a v1 exposure: its measures and its risk score (RISK-21..RISK-23)."""

    day: int
    attenuation_value: int
    duration_minutes: int
    days_since_exposure: int
    transmission_risk_level: int
    risk_score: int


@dataclass(frozen=True, slots=True)
class V1Summary:
    """The v1 summary over the exposures that reach the minimum risk score (RISK-24, RISK-25)."""

    matched_exposures: int
    maximum_risk_score: int
    summation_risk_score: int
    days_since_last_exposure: int | None
    attenuation_durations_minutes: tuple[int, int, int]

    def to_json(self) -> dict[str, Any]:
        """JSON form of the summary."""
        return {
            "matched_exposures": self.matched_exposures,
            "maximum_risk_score": self.maximum_risk_score,
            "summation_risk_score": self.summation_risk_score,
            "days_since_last_exposure": self.days_since_last_exposure,
            "attenuation_durations_minutes": list(self.attenuation_durations_minutes),
        }


def _bucket(value: int, edges: Sequence[int], below: bool) -> int:
    """Index = how many edges the value is at or below (``below``: strictly below)."""
    return sum(1 for edge in edges if (value < edge if below else value <= edge))


def v1_exposure(
    config: ExposureConfiguration, window: ExposureWindow, today: int
) -> V1Exposure | None:
    """The v1 exposure of a window, or None when the window counts no seconds (RISK-21..23)."""
    seconds = total_seconds(window.scan_instances)
    if seconds == 0:
        return None
    days = today - window.day
    if days < 0:
        raise InvalidExposureWindowError("RISK-23: a window's day is after today")
    # spec RISK-21: duration-weighted mean typical attenuation, rounded half up.
    weighted = sum(s.seconds * s.typical_attenuation_db for s in window.scan_instances)
    attenuation_value = (2 * weighted + seconds) // (2 * seconds)
    # spec RISK-22: whole 5-minute steps, rounded up, capped at 30 minutes.
    step = V1_DURATION_STEP_MINUTES * 60
    minutes = min(-(-seconds // step) * V1_DURATION_STEP_MINUTES, V1_MAX_DURATION_MINUTES)
    duration_index = (
        0 if minutes == 0 else 1 + sum(1 for m in (5, 10, 15, 20, 25, 30) if minutes > m)
    )
    trl = config.transmission_risk_level(window.report_type, window.infectiousness)
    risk_score = (
        config.attenuation_scores[_bucket(attenuation_value, V1_ATTENUATION_BUCKET_EDGES, False)]
        * config.days_since_last_exposure_scores[_bucket(days, V1_DAYS_BUCKET_EDGES, True)]
        * config.duration_scores[duration_index]
        * config.transmission_risk_scores[trl - 1]
    )
    return V1Exposure(window.day, attenuation_value, minutes, days, trl, risk_score)


def score_v1(
    config: ExposureConfiguration, windows: Sequence[ExposureWindow], today: int
) -> V1Summary:
    """The v1 summary of the windows as seen on UTC day ``today`` (spec RISK-24, RISK-25)."""
    read_int(today, "today", _ERR, 0, MAX_DAY)
    low, high = config.duration_at_attenuation_thresholds_db
    counted: list[V1Exposure] = []
    bucket_seconds = [0, 0, 0]
    for window in windows:
        exposure = v1_exposure(config, window, today)
        if exposure is None or exposure.risk_score < config.minimum_risk_score:
            continue
        counted.append(exposure)
        for s in window.scan_instances:
            index = (
                0 if s.typical_attenuation_db < low else 1 if s.typical_attenuation_db < high else 2
            )
            bucket_seconds[index] += s.seconds
    return V1Summary(
        matched_exposures=len(counted),
        maximum_risk_score=max((e.risk_score for e in counted), default=0),
        summation_risk_score=sum(e.risk_score for e in counted),
        days_since_last_exposure=min((e.days_since_exposure for e in counted), default=None),
        attenuation_durations_minutes=tuple(  # type: ignore[arg-type]
            min(s // 60, V1_MAX_ATTENUATION_DURATION_MINUTES) for s in bucket_seconds
        ),
    )
