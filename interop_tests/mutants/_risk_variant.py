"""Risk scoring with knobs, each knob one mistake deployed apps made or could make.

The Corona-Warn-App calculation (spec 5.7) is re-implemented here in a few lines so a knob
can change its arithmetic: rounding a day's normalized time on the wrong platform (or on
none), dropping the encounters of unmapped days on iOS, summing binary doubles in window
order, rounding each window. The GAEN v2
mistakes leave a weight out, which is the same as setting it to 1. As with every mutant,
each handler first runs the reference handler on the same params, so it rejects exactly
what the reference rejects and differs only in what it computes.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from bluezone.interop_tests import reference_adapter as reference
from bluezone.interop_tests.adapter_kit import Handler

_REPORT_OFFSETS = {
    1: "reportTypeOffsetConfirmedTest",
    2: "reportTypeOffsetConfirmedClinicalDiagnosis",
    3: "reportTypeOffsetSelfReport",
    4: "reportTypeOffsetRecursive",
}
_LOW, _HIGH = 1, 2


def v2_handler(*, infectiousness: bool = True, report_type: bool = True) -> Handler:
    """A score_v2 op that leaves out the infectiousness or the report type weight."""

    def score_v2(params: dict[str, Any]) -> dict[str, Any]:
        reference.score_v2(params)
        changed = copy.deepcopy(params)
        config = changed["config"]
        if not infectiousness:
            config["infectiousness_weights"] = {"standard": 1, "high": 1}
        if not report_type:
            config["report_type_weights"] = dict.fromkeys(config["report_type_weights"], 1)
        return reference.score_v2(changed)

    return score_v2


@dataclass(frozen=True, slots=True)
class CwaVariant:
    """The CWA calculation; the defaults are the spec's rules (RISK-36, RISK-37): the day
    sum rounded on android only, the encounters of unmapped days counted on ios only."""

    round_day_on: frozenset[str] = frozenset({"android"})
    count_unmapped_on: frozenset[str] = frozenset({"ios"})
    round_window: bool = False
    float_sums: bool = False

    def number(self, value: Any) -> Any:
        return float(value) if self.float_sums else Fraction(str(value))

    def contains(self, bounds: dict[str, Any], value: Any) -> bool:
        low, high = self.number(bounds.get("min", 0)), self.number(bounds.get("max", 0))
        above = value > low if bounds.get("minExclusive") else value >= low
        below = value < high if bounds.get("maxExclusive") else value <= high
        return above and below

    def level(self, mapping: list[dict[str, Any]], key: str, value: Any) -> int | None:
        return next((m["riskLevel"] for m in mapping if self.contains(m[key], value)), None)

    def rounded(self, value: Any) -> Any:
        """One decimal, half up (Android's rounding of normalized time)."""
        return self.number(math.floor(value * 10 + Fraction(1, 2)) / Fraction(10))

    def window(self, config: dict[str, Any], w: dict[str, Any]) -> tuple[int, Any, int] | None:
        """(TRL, normalized time, level) of a window, or None when it is dropped."""
        scans = w["scan_instances"]
        seconds = [max(s["seconds_since_last_scan"], 0) for s in scans]
        for f in config.get("minutesAtAttenuationFilters", []):
            total = sum(
                t
                for s, t in zip(scans, seconds, strict=True)
                if self.contains(f["attenuationRange"], s["min_attenuation_db"])
            )
            if self.contains(f["dropIfMinutesInRange"], self.number(total) / 60):
                return None
        encoding = config["trlEncoding"]
        high = w["infectiousness"] == 2
        trl = (
            encoding[_REPORT_OFFSETS[w["report_type"]]]
            + encoding["infectiousnessOffsetHigh" if high else "infectiousnessOffsetStandard"]
        )
        if any(self.contains(f["dropIfTrlInRange"], trl) for f in config.get("trlFilters", [])):
            return None
        values = config["transmissionRiskValueMapping"]
        trv = next(
            (
                self.number(m["transmissionRiskValue"])
                for m in values
                if m["transmissionRiskLevel"] == trl
            ),
            self.number(0),
        )
        # CWA's order of operations: minutes x weight summed, then x TRV.
        minutes = self.number(0)
        for scan, t in zip(scans, seconds, strict=True):
            weight = next(
                (
                    self.number(m["weight"])
                    for m in config["minutesAtAttenuationWeights"]
                    if self.contains(m["attenuationRange"], scan["min_attenuation_db"])
                ),
                self.number(0),
            )
            minutes += self.number(t) / 60 * weight
        normalized = trv * minutes
        if self.round_window:
            normalized = self.rounded(normalized)
        level = self.level(
            config["normalizedTimePerEWToRiskLevelMapping"], "normalizedTimeRange", normalized
        )
        return None if level is None else (trl, normalized, level)

    def score(self, params: dict[str, Any]) -> dict[str, Any]:
        """The CWA result (RISK-38) computed with this variant's arithmetic."""
        reference.score_cwa(params)
        config = params["config"]
        platform = params.get("platform", "android")
        days: dict[int, list[tuple[int, Any, int, int]]] = {}
        for w in params["windows"]:
            risk = self.window(config, w)
            if risk is not None:
                days.setdefault(w["day"], []).append((*risk, w["calibration_confidence"]))
        levels: dict[int, int] = {}
        encounters = {_LOW: 0, _HIGH: 0}
        for day, kept in days.items():
            total = self.number(0)
            for _, normalized, _, _ in kept:
                total += normalized
            if platform in self.round_day_on:
                total = self.rounded(total)
            level = self.level(
                config["normalizedTimePerDayToRiskLevelMapping"], "normalizedTimeRange", total
            )
            if level is None and platform not in self.count_unmapped_on:
                continue
            if level is not None:
                levels[day] = level
            for wanted in (_LOW, _HIGH):
                encounters[wanted] += len({(t, c) for t, _, lv, c in kept if lv == wanted})
        low = [d for d, lv in levels.items() if lv == _LOW]
        high = [d for d, lv in levels.items() if lv == _HIGH]
        return {
            "total_risk_level": _HIGH if high else _LOW,
            "most_recent_day_with_low_risk": max(low, default=None),
            "most_recent_day_with_high_risk": max(high, default=None),
            "number_of_days_with_low_risk": len(low),
            "number_of_days_with_high_risk": len(high),
            "total_minimum_distinct_encounters_with_low_risk": encounters[_LOW],
            "total_minimum_distinct_encounters_with_high_risk": encounters[_HIGH],
        }
