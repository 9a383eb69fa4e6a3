"""Exposure levels F1, F2 or none, and the change from one check to the next (RISK-59, RISK-61).

F1 is a day whose windows of confirmed, clinical and self-reported keys reach the v2 profile's
threshold; F2 a day whose RECURSIVE windows reach their own threshold, scored with their own
weight; F1 wins. Exact arithmetic (RISK-7), independent of window order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from bluezone.protocol.params import F2_RECURSIVE_WEIGHT, F2_SCORE_SUM_THRESHOLD
from bluezone.protocol.risk.v2 import V2Profile, score_v2
from bluezone.protocol.risk.windows import ExposureWindow, ReportType

F1 = "F1"
F2 = "F2"
NONE = "none"
_RANK = {NONE: 0, F2: 1, F1: 2}
LEVEL_NAMES = frozenset(_RANK)
F1_REPORT_TYPES = frozenset(
    {ReportType.CONFIRMED_TEST, ReportType.CONFIRMED_CLINICAL_DIAGNOSIS, ReportType.SELF_REPORT}
)


@dataclass(frozen=True, slots=True)
class LevelSettings:
    """The F2 level's recursive weight and per-day threshold (RISK-59); F1 uses the profile's."""

    recursive_weight: Fraction = Fraction(F2_RECURSIVE_WEIGHT)
    recursive_score_sum_threshold: Fraction = Fraction(F2_SCORE_SUM_THRESHOLD)


@dataclass(frozen=True, slots=True)
class DayLevel:
    """One day's F1 and F2 scores (RISK-59)."""

    day: int
    f1_score: Fraction
    f2_score: Fraction


@dataclass(frozen=True, slots=True)
class Level:
    """A check's level, the day and score behind it, and the threshold it reached."""

    level: str
    day: int | None
    score: Fraction
    threshold: Fraction
    days: tuple[DayLevel, ...]


def exposure_level(
    windows: Sequence[ExposureWindow],
    profile: V2Profile,
    settings: LevelSettings = LevelSettings(),
    today: int | None = None,
) -> Level:
    """The level of one check's windows (spec RISK-59).

    The day and score reported are those of the highest-scoring day at the level found (for
    none: the highest F1 score, against the F1 threshold).
    """
    config = profile.daily_summaries_config
    f1 = {
        s.day: s.score_sum
        for s in score_v2(config, [w for w in windows if w.report_type in F1_REPORT_TYPES], today)
    }
    weights = dict(config.report_type_weights)
    weights[ReportType.RECURSIVE] = settings.recursive_weight
    f2_config = replace(config, report_type_weights=weights)
    recursive = [w for w in windows if w.report_type == ReportType.RECURSIVE]
    f2 = {s.day: s.score_sum for s in score_v2(f2_config, recursive, today)}
    days = tuple(
        DayLevel(d, f1.get(d, Fraction(0)), f2.get(d, Fraction(0)))
        for d in sorted(f1.keys() | f2.keys())
    )
    best_f1 = max(days, key=lambda d: (d.f1_score, d.day), default=None)
    best_f2 = max(days, key=lambda d: (d.f2_score, d.day), default=None)
    if best_f1 is not None and best_f1.f1_score >= profile.score_sum_threshold:
        return Level(F1, best_f1.day, best_f1.f1_score, profile.score_sum_threshold, days)
    if best_f2 is not None and best_f2.f2_score >= settings.recursive_score_sum_threshold:
        return Level(
            F2, best_f2.day, best_f2.f2_score, settings.recursive_score_sum_threshold, days
        )
    score = best_f1.f1_score if best_f1 is not None else Fraction(0)
    return Level(NONE, None, score, profile.score_sum_threshold, days)


def level_change(
    previous: str,
    current: str,
    matched_before: Mapping[str, int],
    matched_now: Mapping[str, int],
) -> tuple[str, str] | None:
    """The change from ``previous`` to ``current`` and its reason, or None (spec RISK-61).

    ``matched_*`` count the keys that matched the device's sightings, by report type name
    (``"revoked"``, ``"recursive"``, ...), in the last check and in this one.
    """
    if previous == current:
        return None
    if _RANK[current] > _RANK[previous]:
        if previous == NONE:
            return "new", "new_exposure"
        upgraded = matched_now.get("recursive", 0) < matched_before.get("recursive", 0)
        return "raised", "upgraded" if upgraded else "new_exposure"
    reason = "revoked" if matched_now.get("revoked", 0) > 0 else "aged_out"
    return ("withdrawn" if current == NONE else "lowered"), reason
