"""Germany's Corona-Warn-App risk calculation over exposure windows (spec RISK-30..RISK-39).

The configuration is CWA's own ``RiskCalculationParameters`` in its JSON form (camelCase, as
the app configuration and CWA's cross-platform test cases carry it), so a health authority
keeps its file. The two shipped apps aggregate days differently; ``CwaPlatform`` names the one
to reproduce (RISK-36, RISK-37). Arithmetic is exact (RISK-7): normalized time is a rational
number, rounded only where the Android app rounds (a day's total, to one decimal), so the
verdict does not depend on window order.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from bluezone.protocol.params import (
    CWA_RISK_LEVEL_HIGH,
    CWA_RISK_LEVEL_LOW,
    RISK_MAX_TRANSMISSION_RISK_LEVEL,
    RISK_MIN_TRANSMISSION_RISK_LEVEL,
)
from bluezone.protocol.risk.errors import InvalidConfigurationError
from bluezone.protocol.risk.jsonvalues import (
    read_bool,
    read_decimal,
    read_int,
    read_list,
    read_object,
)
from bluezone.protocol.risk.windows import ExposureWindow, Infectiousness, ReportType

__all__ = [
    "CwaConfiguration",
    "CwaDayRisk",
    "CwaPlatform",
    "CwaResult",
    "CwaWindowRisk",
    "Range",
    "TrlEncoding",
    "cwa_window_risk",
    "round_day_normalized_time",
    "score_cwa",
]

_ERR = InvalidConfigurationError


class CwaPlatform(enum.Enum):
    """The CWA app whose day aggregation is reproduced (spec RISK-36, RISK-37).

    ``ANDROID`` (profile ``cwa-android``, Android 3.2.x, the default) rounds a day's normalized
    time to one decimal; ``IOS`` (profile ``cwa-ios``, iOS 3.2.3) does not round, and counts
    the distinct encounters of days no level mapping holds.
    """

    ANDROID = "android"
    IOS = "ios"

    @classmethod
    def from_json(cls, value: Any) -> CwaPlatform:
        """Read ``"android"`` or ``"ios"``; raises InvalidConfigurationError otherwise."""
        if isinstance(value, str):
            for platform in cls:
                if platform.value == value:
                    return platform
        raise _ERR('RISK-36: platform must be "android" or "ios"')


@dataclass(frozen=True, slots=True)
class Range:
    """A closed, half-open or open interval of exact numbers (CWA ``Range``, RISK-31)."""

    min: Fraction
    max: Fraction
    min_exclusive: bool = False
    max_exclusive: bool = False

    def contains(self, value: Fraction | int) -> bool:
        """Whether ``value`` lies in the range, honouring each bound's exclusivity."""
        above = value > self.min if self.min_exclusive else value >= self.min
        below = value < self.max if self.max_exclusive else value <= self.max
        return above and below

    @classmethod
    def from_json(cls, value: Any, field: str) -> Range:
        """Read ``{"min", "max", "minExclusive", "maxExclusive"}``; absent fields are 0/false."""
        obj = read_object(
            value, field, _ERR, optional=("min", "max", "minExclusive", "maxExclusive")
        )
        return cls(
            min=read_decimal(obj.get("min", 0), f"{field}.min", _ERR),
            max=read_decimal(obj.get("max", 0), f"{field}.max", _ERR),
            min_exclusive=read_bool(obj.get("minExclusive", False), f"{field}.minExclusive", _ERR),
            max_exclusive=read_bool(obj.get("maxExclusive", False), f"{field}.maxExclusive", _ERR),
        )


@dataclass(frozen=True, slots=True)
class TrlEncoding:
    """Offsets that encode report type and infectiousness as a transmission risk level (RISK-30)."""

    infectiousness_offset_standard: int
    infectiousness_offset_high: int
    report_type_offset_recursive: int
    report_type_offset_self_report: int
    report_type_offset_clinical_diagnosis: int
    report_type_offset_confirmed_test: int

    _FIELDS = (
        ("infectiousnessOffsetStandard", "infectiousness_offset_standard"),
        ("infectiousnessOffsetHigh", "infectiousness_offset_high"),
        ("reportTypeOffsetRecursive", "report_type_offset_recursive"),
        ("reportTypeOffsetSelfReport", "report_type_offset_self_report"),
        (
            "reportTypeOffsetConfirmedClinicalDiagnosis",
            "report_type_offset_clinical_diagnosis",
        ),
        ("reportTypeOffsetConfirmedTest", "report_type_offset_confirmed_test"),
    )

    @classmethod
    def from_json(cls, value: Any, field: str) -> TrlEncoding:
        """Read CWA's ``trlEncoding`` object (all six offsets required, each 0..8)."""
        names = [name for name, _ in cls._FIELDS]
        obj = read_object(value, field, _ERR, required=names)
        return cls(
            **{
                attr: read_int(obj[name], f"{field}.{name}", _ERR, 0, 8)
                for name, attr in cls._FIELDS
            }
        )

    def to_json(self) -> dict[str, int]:
        """CWA's JSON form of the encoding."""
        return {name: getattr(self, attr) for name, attr in self._FIELDS}

    def transmission_risk_level(
        self, report_type: ReportType, infectiousness: Infectiousness
    ) -> int:
        """TRL = report type offset + infectiousness offset; RECURSIVE has its own (RISK-30)."""
        report_offset = {
            ReportType.RECURSIVE: self.report_type_offset_recursive,
            ReportType.SELF_REPORT: self.report_type_offset_self_report,
            ReportType.CONFIRMED_CLINICAL_DIAGNOSIS: self.report_type_offset_clinical_diagnosis,
            ReportType.CONFIRMED_TEST: self.report_type_offset_confirmed_test,
        }[report_type]
        if infectiousness == Infectiousness.HIGH:
            return report_offset + self.infectiousness_offset_high
        return report_offset + self.infectiousness_offset_standard


@dataclass(frozen=True, slots=True)
class CwaConfiguration:
    """CWA ``RiskCalculationParameters`` (the fields the exposure-window calculation reads)."""

    minutes_at_attenuation_filters: tuple[tuple[Range, Range], ...]
    trl_filters: tuple[Range, ...]
    minutes_at_attenuation_weights: tuple[tuple[Range, Fraction], ...]
    normalized_time_per_window_to_risk_level: tuple[tuple[Range, int], ...]
    normalized_time_per_day_to_risk_level: tuple[tuple[Range, int], ...]
    trl_encoding: TrlEncoding
    transmission_risk_values: Mapping[int, Fraction]

    @classmethod
    def from_json(cls, value: Any) -> CwaConfiguration:
        """Read CWA's JSON configuration; raises InvalidConfigurationError (RISK-8)."""
        obj = read_object(
            value,
            "configuration",
            _ERR,
            required=(
                "minutesAtAttenuationWeights",
                "normalizedTimePerEWToRiskLevelMapping",
                "normalizedTimePerDayToRiskLevelMapping",
                "trlEncoding",
                "transmissionRiskValueMapping",
            ),
            optional=("minutesAtAttenuationFilters", "trlFilters"),
        )
        return cls(
            minutes_at_attenuation_filters=tuple(
                _attenuation_filter(item, f"minutesAtAttenuationFilters[{i}]")
                for i, item in enumerate(
                    _items(
                        obj.get("minutesAtAttenuationFilters", []), "minutesAtAttenuationFilters"
                    )
                )
            ),
            trl_filters=tuple(
                Range.from_json(
                    read_object(item, f"trlFilters[{i}]", _ERR, required=("dropIfTrlInRange",))[
                        "dropIfTrlInRange"
                    ],
                    f"trlFilters[{i}].dropIfTrlInRange",
                )
                for i, item in enumerate(_items(obj.get("trlFilters", []), "trlFilters"))
            ),
            minutes_at_attenuation_weights=tuple(
                _attenuation_weight(item, f"minutesAtAttenuationWeights[{i}]")
                for i, item in enumerate(
                    _items(obj["minutesAtAttenuationWeights"], "minutesAtAttenuationWeights")
                )
            ),
            normalized_time_per_window_to_risk_level=_level_mapping(
                obj["normalizedTimePerEWToRiskLevelMapping"],
                "normalizedTimePerEWToRiskLevelMapping",
            ),
            normalized_time_per_day_to_risk_level=_level_mapping(
                obj["normalizedTimePerDayToRiskLevelMapping"],
                "normalizedTimePerDayToRiskLevelMapping",
            ),
            trl_encoding=TrlEncoding.from_json(obj["trlEncoding"], "trlEncoding"),
            transmission_risk_values=_trv_mapping(obj["transmissionRiskValueMapping"]),
        )


def _items(value: Any, field: str) -> Sequence[Any]:
    return read_list(value, field, _ERR)


def _attenuation_filter(value: Any, field: str) -> tuple[Range, Range]:
    obj = read_object(value, field, _ERR, required=("attenuationRange", "dropIfMinutesInRange"))
    return (
        Range.from_json(obj["attenuationRange"], f"{field}.attenuationRange"),
        Range.from_json(obj["dropIfMinutesInRange"], f"{field}.dropIfMinutesInRange"),
    )


def _attenuation_weight(value: Any, field: str) -> tuple[Range, Fraction]:
    obj = read_object(value, field, _ERR, required=("attenuationRange", "weight"))
    return (
        Range.from_json(obj["attenuationRange"], f"{field}.attenuationRange"),
        read_decimal(obj["weight"], f"{field}.weight", _ERR, 0),
    )


def _level_mapping(value: Any, field: str) -> tuple[tuple[Range, int], ...]:
    result = []
    for i, item in enumerate(_items(value, field)):
        obj = read_object(
            item, f"{field}[{i}]", _ERR, required=("normalizedTimeRange", "riskLevel")
        )
        result.append(
            (
                Range.from_json(obj["normalizedTimeRange"], f"{field}[{i}].normalizedTimeRange"),
                read_int(
                    obj["riskLevel"],
                    f"{field}[{i}].riskLevel",
                    _ERR,
                    CWA_RISK_LEVEL_LOW,
                    CWA_RISK_LEVEL_HIGH,
                ),
            )
        )
    return tuple(result)


def _trv_mapping(value: Any) -> dict[int, Fraction]:
    field = "transmissionRiskValueMapping"
    result: dict[int, Fraction] = {}
    for i, item in enumerate(_items(value, field)):
        obj = read_object(
            item, f"{field}[{i}]", _ERR, required=("transmissionRiskLevel", "transmissionRiskValue")
        )
        level = read_int(
            obj["transmissionRiskLevel"],
            f"{field}[{i}].transmissionRiskLevel",
            _ERR,
            RISK_MIN_TRANSMISSION_RISK_LEVEL,
            RISK_MAX_TRANSMISSION_RISK_LEVEL,
        )
        if level in result:
            raise _ERR(f"{field}[{i}]: transmission risk level {level} mapped twice")
        result[level] = read_decimal(
            obj["transmissionRiskValue"], f"{field}[{i}].transmissionRiskValue", _ERR, 0
        )
    return result


@dataclass(frozen=True, slots=True)
class CwaWindowRisk:
    """One window's result: transmission risk level, normalized time, risk level (RISK-35)."""

    transmission_risk_level: int
    normalized_time: Fraction
    risk_level: int


@dataclass(frozen=True, slots=True)
class CwaDayRisk:
    """One day's result: normalized time, risk level and distinct encounters (RISK-36, RISK-37)."""

    day: int
    normalized_time: Fraction
    risk_level: int
    minimum_distinct_encounters_with_low_risk: int
    minimum_distinct_encounters_with_high_risk: int


@dataclass(frozen=True, slots=True)
class CwaResult:
    """The aggregated CWA verdict (RISK-38)."""

    total_risk_level: int
    most_recent_day_with_low_risk: int | None
    most_recent_day_with_high_risk: int | None
    number_of_days_with_low_risk: int
    number_of_days_with_high_risk: int
    total_minimum_distinct_encounters_with_low_risk: int
    total_minimum_distinct_encounters_with_high_risk: int
    days: tuple[CwaDayRisk, ...]

    def to_json(self) -> dict[str, Any]:
        """The verdict as the ``score_cwa`` adapter op answers it (days omitted)."""
        return {
            "total_risk_level": self.total_risk_level,
            "most_recent_day_with_low_risk": self.most_recent_day_with_low_risk,
            "most_recent_day_with_high_risk": self.most_recent_day_with_high_risk,
            "number_of_days_with_low_risk": self.number_of_days_with_low_risk,
            "number_of_days_with_high_risk": self.number_of_days_with_high_risk,
            "total_minimum_distinct_encounters_with_low_risk": (
                self.total_minimum_distinct_encounters_with_low_risk
            ),
            "total_minimum_distinct_encounters_with_high_risk": (
                self.total_minimum_distinct_encounters_with_high_risk
            ),
        }


def _first_level(mapping: Iterable[tuple[Range, int]], value: Fraction) -> int | None:
    return next((level for rng, level in mapping if rng.contains(value)), None)


def cwa_window_risk(config: CwaConfiguration, window: ExposureWindow) -> CwaWindowRisk | None:
    """Risk of one window, or None when a filter or the level mapping drops it (RISK-31..35)."""
    # spec RISK-31: drop when the minutes at a filter's (minimum) attenuation fall in its range.
    for attenuation_range, drop_range in config.minutes_at_attenuation_filters:
        seconds = sum(
            s.seconds
            for s in window.scan_instances
            if attenuation_range.contains(s.min_attenuation_db)
        )
        if drop_range.contains(Fraction(seconds, 60)):
            return None
    trl = config.trl_encoding.transmission_risk_level(window.report_type, window.infectiousness)
    # spec RISK-32: drop by transmission risk level.
    if any(rng.contains(trl) for rng in config.trl_filters):
        return None
    # spec RISK-33: an unmapped transmission risk level has value 0.
    trv = config.transmission_risk_values.get(trl, Fraction(0))
    # spec RISK-34: seconds weighted by the first weight whose range holds the minimum attenuation.
    weighted_seconds = sum(
        (
            s.seconds
            * next(
                (
                    w
                    for rng, w in config.minutes_at_attenuation_weights
                    if rng.contains(s.min_attenuation_db)
                ),
                Fraction(0),
            )
            for s in window.scan_instances
        ),
        Fraction(0),
    )
    # spec RISK-35: normalized time = TRV x weighted minutes; no mapped level drops the window.
    normalized_time = trv * weighted_seconds / 60
    level = _first_level(config.normalized_time_per_window_to_risk_level, normalized_time)
    if level is None:
        return None
    return CwaWindowRisk(trl, normalized_time, level)


def score_cwa(
    config: CwaConfiguration,
    windows: Sequence[ExposureWindow],
    platform: CwaPlatform = CwaPlatform.ANDROID,
) -> CwaResult:
    """CWA's aggregated risk over windows as ``platform``'s app computes it (spec
    RISK-30..RISK-38); independent of window order."""
    per_day: dict[int, list[tuple[ExposureWindow, CwaWindowRisk]]] = {}
    for window in windows:
        risk = cwa_window_risk(config, window)
        if risk is not None:
            per_day.setdefault(window.day, []).append((window, risk))
    days = tuple(
        day_risk
        for day in sorted(per_day)
        if (day_risk := _day_risk(config, day, per_day[day], platform)) is not None
    )
    low = [d for d in days if d.risk_level == CWA_RISK_LEVEL_LOW]
    high = [d for d in days if d.risk_level == CWA_RISK_LEVEL_HIGH]
    # spec RISK-37: iOS counts the encounters of days no mapping holds; Android drops them.
    unmapped = dict.fromkeys((CWA_RISK_LEVEL_LOW, CWA_RISK_LEVEL_HIGH), 0)
    if platform is CwaPlatform.IOS:
        kept = {d.day for d in days}
        for day, results in per_day.items():
            if day not in kept:
                for level in unmapped:
                    unmapped[level] += _distinct(results, level)
    return CwaResult(
        total_risk_level=CWA_RISK_LEVEL_HIGH if high else CWA_RISK_LEVEL_LOW,
        most_recent_day_with_low_risk=max((d.day for d in low), default=None),
        most_recent_day_with_high_risk=max((d.day for d in high), default=None),
        number_of_days_with_low_risk=len(low),
        number_of_days_with_high_risk=len(high),
        total_minimum_distinct_encounters_with_low_risk=sum(
            d.minimum_distinct_encounters_with_low_risk for d in days
        )
        + unmapped[CWA_RISK_LEVEL_LOW],
        total_minimum_distinct_encounters_with_high_risk=sum(
            d.minimum_distinct_encounters_with_high_risk for d in days
        )
        + unmapped[CWA_RISK_LEVEL_HIGH],
        days=days,
    )


def _distinct(results: list[tuple[ExposureWindow, CwaWindowRisk]], risk_level: int) -> int:
    """Distinct (TRL, calibration confidence) pairs of the windows at ``risk_level`` (RISK-37)."""
    return len(
        {
            (risk.transmission_risk_level, window.calibration_confidence)
            for window, risk in results
            if risk.risk_level == risk_level
        }
    )


def round_day_normalized_time(value: Fraction) -> Fraction:
    """One decimal, half up: Android's rounding of a day's normalized time (spec RISK-36)."""
    return Fraction(math.floor(value * 10 + Fraction(1, 2)), 10)


def _day_risk(
    config: CwaConfiguration,
    day: int,
    results: list[tuple[ExposureWindow, CwaWindowRisk]],
    platform: CwaPlatform,
) -> CwaDayRisk | None:
    """One day's risk (RISK-36, RISK-37): the exact sum, rounded to one decimal on Android;
    days no mapping holds drop out."""
    normalized_time = sum((risk.normalized_time for _, risk in results), Fraction(0))
    if platform is CwaPlatform.ANDROID:
        normalized_time = round_day_normalized_time(normalized_time)
    level = _first_level(config.normalized_time_per_day_to_risk_level, normalized_time)
    if level is None:
        return None
    return CwaDayRisk(
        day=day,
        normalized_time=normalized_time,
        risk_level=level,
        minimum_distinct_encounters_with_low_risk=_distinct(results, CWA_RISK_LEVEL_LOW),
        minimum_distinct_encounters_with_high_risk=_distinct(results, CWA_RISK_LEVEL_HIGH),
    )
