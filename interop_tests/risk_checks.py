"""Shape and value checks of the risk scoring ops' results (spec IOP-27..IOP-30, RISK-7).

Scores may be non-integers: they compare within RELATIVE_TOLERANCE (RISK-7); days, levels,
counts and v1 risk scores compare exactly. A boolean is never a number here, whatever
Python's ``True == 1`` says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# spec RISK-7 / IOP-30: non-integer results agree within this relative difference.
RELATIVE_TOLERANCE = 1e-9

# spec IOP-27: the score fields of a daily summary (compared within the tolerance).
SCORE_FIELDS = frozenset({"score_sum", "maximum_score", "weighted_duration_sum"})
# spec IOP-28: the CWA verdict; the most recent days may be null.
_CWA_FIELDS = {
    "total_risk_level": False,
    "most_recent_day_with_low_risk": True,
    "most_recent_day_with_high_risk": True,
    "number_of_days_with_low_risk": False,
    "number_of_days_with_high_risk": False,
    "total_minimum_distinct_encounters_with_low_risk": False,
    "total_minimum_distinct_encounters_with_high_risk": False,
}
# spec IOP-29: the v1 summary; days_since_last_exposure may be null.
_V1_FIELDS = {
    "matched_exposures": False,
    "maximum_risk_score": False,
    "summation_risk_score": False,
    "days_since_last_exposure": True,
}
RISK_OPS = frozenset({"score_v2", "score_cwa", "score_v1"})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


def _integer_fields(result: Mapping[str, Any], fields: Mapping[str, bool]) -> str | None:
    for name, nullable in fields.items():
        value = result.get(name)
        if not (_is_integer(value) or (nullable and value is None)):
            kind = "an integer or null" if nullable else "an integer"
            return f"result field {name!r} must be {kind}, got {value!r}"
    return None


def risk_shape_error(op: str, result: Mapping[str, Any]) -> str | None:
    """Say what is wrong with the shape of a risk op's result, or None (IOP-27..IOP-29)."""
    if op == "score_v2":
        summaries = result.get("daily_summaries")
        if not isinstance(summaries, list):
            return f"result field 'daily_summaries' must be a list, got {summaries!r}"
        for item in summaries:
            if not isinstance(item, dict) or not _is_integer(item.get("day")):
                return f"each daily summary needs an integer day, got {item!r}"
            if not all(_is_number(item.get(name)) for name in SCORE_FIELDS):
                return f"each daily summary needs numbers {sorted(SCORE_FIELDS)}, got {item!r}"
        return None
    if op == "score_cwa":
        return _integer_fields(result, _CWA_FIELDS)
    if op == "score_v1":
        problem = _integer_fields(result, _V1_FIELDS)
        if problem:
            return problem
        durations = result.get("attenuation_durations_minutes")
        if not (
            isinstance(durations, list)
            and len(durations) == 3
            and all(_is_integer(d) for d in durations)
        ):
            return f"attenuation_durations_minutes must be 3 integers, got {durations!r}"
    return None


def close(want: Any, got: Any) -> bool:
    """Whether two scores agree within RELATIVE_TOLERANCE (RISK-7)."""
    if not (_is_number(want) and _is_number(got)):
        return False
    return math.isclose(want, got, rel_tol=RELATIVE_TOLERANCE, abs_tol=RELATIVE_TOLERANCE)


def same(want: Any, got: Any, field: str = "") -> bool:
    """Whether ``got`` equals ``want``: score fields within the tolerance, all else exactly."""
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and set(got) >= set(want)
            and all(same(value, got[key], key) for key, value in want.items())
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(same(w, g, field) for w, g in zip(want, got, strict=True))
        )
    if field in SCORE_FIELDS:
        return close(want, got)
    if want is None or isinstance(want, bool):
        return got is want
    return _is_number(got) and got == want
