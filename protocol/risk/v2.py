"""GAEN v2 daily summaries over exposure windows (spec RISK-10..RISK-15).

The configuration is GAEN's ``DailySummariesConfig`` in snake_case JSON:
``{"attenuation_bucket_thresholds_db": [t0, t1, t2], "attenuation_bucket_weights": [wi, wn,
wm, wo], "infectiousness_weights": {"standard", "high"}, "report_type_weights":
{"confirmed_test", "confirmed_clinical_diagnosis", "self_report", "recursive"},
"minimum_window_score", "days_since_exposure_threshold"}``. Arithmetic is exact (RISK-7).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from bluezone.protocol.params import (
    MAX_ATTENUATION_DB,
    MAX_DAY,
    MIN_ATTENUATION_DB,
    V2_ATTENUATION_THRESHOLDS,
    V2_MAX_WEIGHT,
)
from bluezone.protocol.risk.aggregation import DiagnosisKeysDataMapping
from bluezone.protocol.risk.errors import InvalidConfigurationError
from bluezone.protocol.risk.jsonvalues import read_decimal, read_int, read_list, read_object
from bluezone.protocol.risk.windows import ExposureWindow, Infectiousness, ReportType

__all__ = [
    "REPORT_TYPE_NAMES",
    "DailySummariesConfig",
    "DailySummary",
    "V2Profile",
    "score_v2",
    "v2_weighted_duration",
    "v2_window_score",
]

_ERR = InvalidConfigurationError
_MAX_WEIGHT = Fraction(str(V2_MAX_WEIGHT))

# spec RISK-12: JSON names of the weighted report types and infectiousness levels.
REPORT_TYPE_NAMES: Mapping[ReportType, str] = {
    ReportType.CONFIRMED_TEST: "confirmed_test",
    ReportType.CONFIRMED_CLINICAL_DIAGNOSIS: "confirmed_clinical_diagnosis",
    ReportType.SELF_REPORT: "self_report",
    ReportType.RECURSIVE: "recursive",
}
INFECTIOUSNESS_NAMES: Mapping[Infectiousness, str] = {
    Infectiousness.STANDARD: "standard",
    Infectiousness.HIGH: "high",
}


@dataclass(frozen=True, slots=True)
class DailySummariesConfig:
    """GAEN v2 ``DailySummariesConfig`` (RISK-10..RISK-14)."""

    attenuation_bucket_thresholds_db: tuple[int, int, int]
    attenuation_bucket_weights: tuple[Fraction, Fraction, Fraction, Fraction]
    infectiousness_weights: Mapping[Infectiousness, Fraction]
    report_type_weights: Mapping[ReportType, Fraction]
    minimum_window_score: Fraction = Fraction(0)
    days_since_exposure_threshold: int = 0

    @classmethod
    def from_json(cls, value: Any) -> DailySummariesConfig:
        """Read the snake_case JSON form; raises InvalidConfigurationError (RISK-8)."""
        obj = read_object(
            value,
            "daily_summaries_config",
            _ERR,
            required=(
                "attenuation_bucket_thresholds_db",
                "attenuation_bucket_weights",
                "infectiousness_weights",
                "report_type_weights",
            ),
            optional=("minimum_window_score", "days_since_exposure_threshold"),
        )
        thresholds = read_list(
            obj["attenuation_bucket_thresholds_db"], "attenuation_bucket_thresholds_db", _ERR
        )
        if len(thresholds) != V2_ATTENUATION_THRESHOLDS:
            raise _ERR(
                f"RISK-10: attenuation_bucket_thresholds_db needs {V2_ATTENUATION_THRESHOLDS}"
            )
        edges = tuple(
            read_int(t, f"attenuation_bucket_thresholds_db[{i}]", _ERR, *_DB)
            for i, t in enumerate(thresholds)
        )
        if list(edges) != sorted(edges):
            raise _ERR("RISK-10: attenuation_bucket_thresholds_db must not decrease")
        weights = read_list(obj["attenuation_bucket_weights"], "attenuation_bucket_weights", _ERR)
        if len(weights) != V2_ATTENUATION_THRESHOLDS + 1:
            raise _ERR(f"RISK-11: attenuation_bucket_weights needs {V2_ATTENUATION_THRESHOLDS + 1}")
        return cls(
            attenuation_bucket_thresholds_db=edges,  # type: ignore[arg-type]
            attenuation_bucket_weights=tuple(  # type: ignore[arg-type]
                _weight(w, f"attenuation_bucket_weights[{i}]") for i, w in enumerate(weights)
            ),
            infectiousness_weights=_named_weights(
                obj["infectiousness_weights"], "infectiousness_weights", INFECTIOUSNESS_NAMES
            ),
            report_type_weights=_named_weights(
                obj["report_type_weights"], "report_type_weights", REPORT_TYPE_NAMES
            ),
            minimum_window_score=read_decimal(
                obj.get("minimum_window_score", 0), "minimum_window_score", _ERR, 0
            ),
            days_since_exposure_threshold=read_int(
                obj.get("days_since_exposure_threshold", 0),
                "days_since_exposure_threshold",
                _ERR,
                0,
                MAX_DAY,
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form read by ``from_json`` (weights as JSON numbers)."""
        return {
            "attenuation_bucket_thresholds_db": list(self.attenuation_bucket_thresholds_db),
            "attenuation_bucket_weights": [_number(w) for w in self.attenuation_bucket_weights],
            "infectiousness_weights": {
                INFECTIOUSNESS_NAMES[k]: _number(v) for k, v in self.infectiousness_weights.items()
            },
            "report_type_weights": {
                REPORT_TYPE_NAMES[k]: _number(v) for k, v in self.report_type_weights.items()
            },
            "minimum_window_score": _number(self.minimum_window_score),
            "days_since_exposure_threshold": self.days_since_exposure_threshold,
        }


_DB = (MIN_ATTENUATION_DB, MAX_ATTENUATION_DB)


def _weight(value: Any, field: str) -> Fraction:
    return read_decimal(value, field, _ERR, 0, _MAX_WEIGHT)


def _named_weights(value: Any, field: str, names: Mapping[Any, str]) -> dict[Any, Fraction]:
    obj = read_object(value, field, _ERR, required=tuple(names.values()))
    return {key: _weight(obj[name], f"{field}.{name}") for key, name in names.items()}


def _number(value: Fraction) -> int | float:
    """A JSON number for an exact value: an int when whole, else the nearest double."""
    return value.numerator if value.denominator == 1 else float(value)


@dataclass(frozen=True, slots=True)
class DailySummary:
    """One UTC day's v2 summary over the windows that passed the minimum score (RISK-14)."""

    day: int
    score_sum: Fraction
    maximum_score: Fraction
    weighted_duration_sum: Fraction

    def to_json(self) -> dict[str, Any]:
        """JSON form: exact values written as JSON numbers (nearest double when not whole)."""
        return {
            "day": self.day,
            "score_sum": _number(self.score_sum),
            "maximum_score": _number(self.maximum_score),
            "weighted_duration_sum": _number(self.weighted_duration_sum),
        }


def _bucket_weight(config: DailySummariesConfig, typical_attenuation_db: int) -> Fraction:
    """Weight of the bucket holding a typical attenuation (spec RISK-10)."""
    for edge, weight in zip(
        config.attenuation_bucket_thresholds_db, config.attenuation_bucket_weights, strict=False
    ):
        if typical_attenuation_db <= edge:
            return weight
    return config.attenuation_bucket_weights[-1]


def v2_weighted_duration(config: DailySummariesConfig, window: ExposureWindow) -> Fraction:
    """Seconds weighted by the bucket of each scan's typical attenuation (spec RISK-11)."""
    return sum(
        (
            s.seconds * _bucket_weight(config, s.typical_attenuation_db)
            for s in window.scan_instances
        ),
        Fraction(0),
    )


def v2_window_score(config: DailySummariesConfig, window: ExposureWindow) -> Fraction:
    """Weighted duration x infectiousness weight x report type weight (spec RISK-12)."""
    return (
        v2_weighted_duration(config, window)
        * config.infectiousness_weights[window.infectiousness]
        * config.report_type_weights[window.report_type]
    )


def score_v2(
    config: DailySummariesConfig, windows: Sequence[ExposureWindow], today: int | None = None
) -> tuple[DailySummary, ...]:
    """Per-day summaries, oldest day first (spec RISK-13, RISK-14); independent of order.

    ``today`` (a UTC day number) is needed only when ``days_since_exposure_threshold`` > 0:
    days more than that many days before ``today`` are left out.
    """
    if config.days_since_exposure_threshold and today is None:
        raise _ERR("RISK-14: days_since_exposure_threshold needs today's day number")
    if today is not None:
        read_int(today, "today", _ERR, 0, MAX_DAY)
    per_day: dict[int, list[tuple[Fraction, Fraction]]] = {}
    for window in windows:
        score = v2_window_score(config, window)
        if score < config.minimum_window_score:
            continue
        if config.days_since_exposure_threshold and (
            today - window.day > config.days_since_exposure_threshold  # type: ignore[operator]
        ):
            continue
        per_day.setdefault(window.day, []).append((score, v2_weighted_duration(config, window)))
    return tuple(
        DailySummary(
            day=day,
            score_sum=sum((s for s, _ in items), Fraction(0)),
            maximum_score=max(s for s, _ in items),
            weighted_duration_sum=sum((d for _, d in items), Fraction(0)),
        )
        for day, items in sorted(per_day.items())
    )


@dataclass(frozen=True, slots=True)
class V2Profile:
    """A full v2 setting: key data mapping, daily summaries config, notification threshold.

    The threshold applies to a day's ``score_sum`` (RISK-15); Google's ENX defaults and
    LFPH's "narrower net 1.0" ship as profiles in ``spec/profiles`` (loaded by
    ``bluezone.reference_node.risk_profiles.v2_profile``).
    """

    diagnosis_keys_data_mapping: DiagnosisKeysDataMapping
    daily_summaries_config: DailySummariesConfig
    score_sum_threshold: Fraction

    @classmethod
    def from_json(cls, value: Any) -> V2Profile:
        """Read ``{"diagnosis_keys_data_mapping", "daily_summaries_config",
        "score_sum_threshold"}``; raises InvalidConfigurationError."""
        obj = read_object(
            value,
            "v2_profile",
            _ERR,
            required=(
                "diagnosis_keys_data_mapping",
                "daily_summaries_config",
                "score_sum_threshold",
            ),
        )
        return cls(
            diagnosis_keys_data_mapping=DiagnosisKeysDataMapping.from_json(
                obj["diagnosis_keys_data_mapping"]
            ),
            daily_summaries_config=DailySummariesConfig.from_json(obj["daily_summaries_config"]),
            score_sum_threshold=read_decimal(
                obj["score_sum_threshold"], "score_sum_threshold", _ERR, 0
            ),
        )
