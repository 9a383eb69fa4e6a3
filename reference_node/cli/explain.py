"""Plain-language text for an exposure check: what matched, the windows, the scores, why.

Shared by ``bluezone demo`` and ``bluezone node check``.
"""

from __future__ import annotations

import datetime
from typing import Any

from bluezone.protocol.receiver import BUCKET_NAMES, ExposureAssessment, WindowReport
from bluezone.reference_node.node.log import clock_time


def day_name(day: int) -> str:
    """``2025-11-23`` for a UTC day number."""
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()


def minutes(seconds: float) -> str:
    """``12 min`` or ``1 h 05 min``."""
    total = round(seconds / 60)
    if total < 60:
        return f"{total} min"
    return f"{total // 60} h {total % 60:02d} min"


def number(value: float) -> str:
    """A score for people: whole numbers without decimals, others with one."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bucket_rules(scorers: dict[str, Any]) -> str:
    """``<=55 dB x1.5, <=63 dB x1, <=70 dB x0.4, more x0``: the v2 bucket weights (RISK-10)."""
    v2 = scorers["v2"]
    edges = v2["attenuation_bucket_thresholds_db"]
    weights = [v2["attenuation_bucket_weights"][name] for name in BUCKET_NAMES]
    parts = [f"<={edge} dB x{w:g}" for edge, w in zip(edges, weights[:-1], strict=True)]
    parts.append(f"more x{weights[-1]:g}")
    return ", ".join(parts)


def explain_window(number_: int, window: WindowReport, scorers: dict[str, Any]) -> list[str]:
    """Lines describing one exposure window and its score."""
    v2 = scorers["v2"]
    low, high = window.typical_attenuation_db
    span = f"{low} dB" if low == high else f"{low}-{high} dB"
    buckets = ", ".join(f"{seconds} s {name}" for name, seconds in window.seconds_by_bucket.items())
    infectiousness = v2["infectiousness_weights"][window.infectiousness]
    report_type = v2["report_type_weights"][window.report_type]
    lines = [
        f"window {number_}, {clock_time(window.first_scan_s)[:5]}"
        f"-{clock_time(window.last_scan_s)[:5]}: {window.scan_instances} scans worth"
        f" {window.seconds} s, typical attenuation {span}, lowest {window.min_attenuation_db} dB",
        f"  GAEN v2: {buckets} = {number(window.v2_weighted_duration)} weighted s"
        f" x{infectiousness:g} {window.infectiousness} infectiousness"
        f" x{report_type:g} {window.report_type.replace('_', ' ')} = {number(window.v2_score)}",
    ]
    if window.proximity_score is not None and "proximity" in scorers:
        kernel = scorers["proximity"]["kernel_distance_m"]
        lines.append(
            f"  proximity: distance about {window.distance_m:g} m,"
            f" {number(window.proximity_score)} expected weighted s within {kernel:g} m"
        )
    return lines


def explain_assessment(assessment: ExposureAssessment) -> list[str]:
    """Lines describing one exposure check, for a terminal."""
    scorers = assessment.scorers
    v2 = scorers["v2"]
    verdict = "EXPOSED" if assessment.exposed else "not exposed"
    lines = [
        f"verdict: {verdict} (GAEN v2, LFPH narrower net 1.0: notify when a day's score"
        f" reaches {number(v2['score_sum_threshold'])})",
        f"checked {assessment.keys_checked} published keys against"
        f" {assessment.sightings_checked} stored sightings:"
        f" {assessment.matched_sightings} matched"
        f" {assessment.exposures} key{'' if assessment.exposures == 1 else 's'}",
    ]
    if assessment.keys_rejected:
        rejected = ", ".join(f"{n} {code}" for code, n in assessment.keys_rejected.items())
        lines.append(f"keys not used: {rejected}")
    if assessment.sightings_left_out:
        left = ", ".join(f"{n} {code}" for code, n in assessment.sightings_left_out.items())
        lines.append(f"matched sightings left out: {left}")
    if not assessment.windows:
        lines.append("no sighting matched a published key: nothing to score")
        return lines
    lines.append(f"weight of a second by typical attenuation: {bucket_rules(scorers)}")
    for index, window in enumerate(assessment.windows, start=1):
        lines.extend(explain_window(index, window, scorers))
    for day in assessment.days:
        compare = ">=" if day.exposed else "<"
        line = (
            f"day {day_name(day.day)}: v2 score {number(day.v2_score_sum)} {compare}"
            f" {number(v2['score_sum_threshold'])}"
            f" -> {'notify' if day.exposed else 'no notification'}"
        )
        if day.proximity_score is not None and "proximity" in scorers:
            threshold = scorers["proximity"]["score_threshold_s"]
            compare = ">=" if day.exposed_proximity else "<"
            lines.append(line)
            line = (
                f"  proximity profile: {number(day.proximity_score)} s {compare}"
                f" {number(threshold)} s -> "
                + ("notify" if day.exposed_proximity else "no notification")
            )
        lines.append(line)
    return lines
