"""Generate spec/vectors/risk-v2.json and risk-v1.json (GAEN v2 and v1 scoring, spec section 5).

Usage:
    python spec/tools/gaen_vectors.py --seed 20240505 [--out spec/vectors]

The expected values come from the small, separate implementation in this file (exact
rational arithmetic, written from the spec text, importing nothing from ``protocol``); the test
suite then checks the library against them. Cases: hand-computed edge cases first (each with
its arithmetic in the comment), then random cases from the seed.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

from vectorfile import VECTORS_DIR, Group, write_vector_file

TODAY = 19000
REPORT_NAMES = {
    1: "confirmed_test",
    2: "confirmed_clinical_diagnosis",
    3: "self_report",
    4: "recursive",
}
INF_NAMES = {1: "standard", 2: "high"}

PROFILES = Path(__file__).resolve().parent.parent / "profiles"


def profile(name: str) -> Any:
    """A scoring profile of spec/profiles (the one copy every reader uses)."""
    return json.loads((PROFILES / f"{name}.json").read_text(encoding="utf-8"))


# LFPH's "narrower net 1.0" and Google's ENX defaults (RISK-15), CWA's v2 daily summaries
# configuration (cwa-server daily-summaries-config.yaml, all weights 1.0), the v1 example of
# spec 5.6.
LFPH = profile("lfph-narrower-net-1.0")["daily_summaries_config"]
ENX = profile("enx")["daily_summaries_config"]
CWA_DAILY = profile("cwa-daily-summaries")
V1_CONFIG = profile("gaen-v1-example")


def exact(x: float | int) -> Fraction:
    return Fraction(repr(x)) if isinstance(x, float) else Fraction(x)


def number(x: Fraction) -> int | float:
    return x.numerator if x.denominator == 1 else float(x)


def scan(typical: int, minimum: int, seconds: int) -> dict[str, int]:
    return {
        "typical_attenuation_db": typical,
        "min_attenuation_db": minimum,
        "seconds_since_last_scan": seconds,
    }


def window(day: int, rt: int, inf: int, scans: list[dict[str, int]], cc: int = 0) -> dict[str, Any]:
    return {
        "day": day,
        "report_type": rt,
        "infectiousness": inf,
        "calibration_confidence": cc,
        "scan_instances": scans,
    }


# --- the separate v2 implementation --------------------------------------------------------


def v2_expected(
    config: dict[str, Any], windows: list[dict[str, Any]], today: int | None = None
) -> dict[str, Any]:
    edges = config["attenuation_bucket_thresholds_db"]
    weights = [exact(w) for w in config["attenuation_bucket_weights"]]
    days: dict[int, list[tuple[Fraction, Fraction]]] = {}
    for w in windows:
        duration = Fraction(0)
        for s in w["scan_instances"]:
            a = s["typical_attenuation_db"]
            bucket = 0 if a <= edges[0] else 1 if a <= edges[1] else 2 if a <= edges[2] else 3
            duration += max(s["seconds_since_last_scan"], 0) * weights[bucket]
        score = (
            duration
            * exact(config["infectiousness_weights"][INF_NAMES[w["infectiousness"]]])
            * exact(config["report_type_weights"][REPORT_NAMES[w["report_type"]]])
        )
        if score < exact(config.get("minimum_window_score", 0)):
            continue
        limit = config.get("days_since_exposure_threshold", 0)
        if limit and today - w["day"] > limit:
            continue
        days.setdefault(w["day"], []).append((score, duration))
    return {
        "daily_summaries": [
            {
                "day": d,
                "score_sum": number(sum((s for s, _ in v), Fraction(0))),
                "maximum_score": number(max(s for s, _ in v)),
                "weighted_duration_sum": number(sum((x for _, x in v), Fraction(0))),
            }
            for d, v in sorted(days.items())
        ]
    }


# --- the separate v1 implementation --------------------------------------------------------


def v1_expected(
    config: dict[str, Any], windows: list[dict[str, Any]], today: int
) -> dict[str, Any]:
    enc = config["transmission_risk_level_encoding"]
    low, high = config["duration_at_attenuation_thresholds_db"]
    scores, days_seen, buckets = [], [], [0, 0, 0]
    for w in windows:
        secs = [max(s["seconds_since_last_scan"], 0) for s in w["scan_instances"]]
        total = sum(secs)
        if total == 0:
            continue
        mean = Fraction(
            sum(
                t * s["typical_attenuation_db"]
                for t, s in zip(secs, w["scan_instances"], strict=True)
            ),
            total,
        )
        att = int(mean + Fraction(1, 2))  # round half up (floor of mean + 1/2)
        att_index = next((i for i, e in enumerate([73, 63, 51, 33, 27, 15, 10]) if att > e), 7)
        days = today - w["day"]
        day_index = next((i for i, e in enumerate([14, 12, 10, 8, 6, 4, 2]) if days >= e), 7)
        minutes = min(5 * ((total + 299) // 300), 30)
        dur_index = next((i + 1 for i, m in enumerate([5, 10, 15, 20, 25, 30]) if minutes <= m), 7)
        if minutes == 0:
            dur_index = 0
        trl = (
            enc[f"report_type_offset_{REPORT_NAMES[w['report_type']]}"]
            + enc[f"infectiousness_offset_{INF_NAMES[w['infectiousness']]}"]
        )
        score = (
            config["attenuation_scores"][att_index]
            * config["days_since_last_exposure_scores"][day_index]
            * config["duration_scores"][dur_index]
            * config["transmission_risk_scores"][trl - 1]
        )
        if score < config["minimum_risk_score"]:
            continue
        scores.append(score)
        days_seen.append(days)
        for t, s in zip(secs, w["scan_instances"], strict=True):
            a = s["typical_attenuation_db"]
            buckets[0 if a < low else 1 if a < high else 2] += t
    return {
        "matched_exposures": len(scores),
        "maximum_risk_score": max(scores, default=0),
        "summation_risk_score": sum(scores),
        "days_since_last_exposure": min(days_seen, default=None),
        "attenuation_durations_minutes": [min(b // 60, 30) for b in buckets],
    }


# --- random inputs --------------------------------------------------------------------------


def random_windows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    windows = []
    for _ in range(count):
        scans = []
        for _ in range(rng.randint(0, 8)):
            typical = rng.randint(25, 95)
            scans.append(
                scan(
                    typical,
                    max(0, typical - rng.randint(0, 8)),
                    rng.choice([rng.randint(60, 300), 300, 0, -5]),
                )
            )
        windows.append(
            window(
                TODAY - rng.randint(0, 13),
                rng.randint(1, 4),
                rng.randint(1, 2),
                scans,
                rng.randint(0, 3),
            )
        )
    return windows


def random_v2_config(rng: random.Random) -> dict[str, Any]:
    edges = sorted(rng.sample(range(30, 90), 3))
    weight = lambda: rng.choice([0, 0.25, 0.3, 0.5, 1, 1.25, 1.5, 2, 2.5, 0.1, 0.7])  # noqa: E731
    return {
        "attenuation_bucket_thresholds_db": edges,
        "attenuation_bucket_weights": [weight() for _ in range(4)],
        "infectiousness_weights": {n: weight() for n in INF_NAMES.values()},
        "report_type_weights": {n: weight() for n in REPORT_NAMES.values()},
        "minimum_window_score": rng.choice([0, 0, 60, 300, 450.5]),
        "days_since_exposure_threshold": 0,
    }


def random_v1_config(rng: random.Random) -> dict[str, Any]:
    config = copy.deepcopy(V1_CONFIG)
    for name in (
        "attenuation_scores",
        "days_since_last_exposure_scores",
        "duration_scores",
        "transmission_risk_scores",
    ):
        config[name] = [rng.randint(0, 8) for _ in range(8)]
    config["minimum_risk_score"] = rng.choice([0, 1, 10, 100])
    config["duration_at_attenuation_thresholds_db"] = sorted(rng.sample(range(40, 80), 2))
    return config


# --- files ------------------------------------------------------------------------------------


V2_NOTES = {
    "lfph_narrower_net_1_0": 'LFPH\'s "narrower net 1.0" profile (RISK-15).',
    "enx": "Google's ENX defaults (RISK-15).",
    "bucket_edge": "Typical attenuation on a threshold falls in the lower bucket (RISK-10).",
    "minimum_window_score": "Windows scoring below the minimum are left out (RISK-13).",
    "recursive_report_type": "RECURSIVE windows take the recursive weight (RISK-12).",
    "negative_seconds": "Negative seconds count as 0 (RISK-9).",
    "exact_decimal": "Sums where binary floating point would drift; values are exact (RISK-7).",
    "days_threshold": "days_since_exposure_threshold with today (RISK-14).",
    "random": "Random windows and configuration from the seed.",
    "invalid_config": "A malformed configuration is rejected (RISK-8).",
    "invalid_window": "A malformed window is rejected (RISK-9).",
}
NUMBERS_NOTE = (
    "Non-integer outputs are the nearest double to the exact value; compare them "
    "within 1e-9 relative. Day numbers, counts and levels compare exactly."
)


V2_ALGORITHM = (
    "GAEN v2 daily summaries (DailySummariesConfig) over exposure windows. " + NUMBERS_NOTE
)


def build_v2(rng: random.Random) -> list[Group]:
    """risk-v2.json's groups: the hand-computed cases, then random ones drawn from ``rng``."""
    ids = ["RISK-10", "RISK-11", "RISK-12", "RISK-13", "RISK-14"]
    hand = Group("GaenV2DailySummaries", "Hand-computed edge cases.")
    d = TODAY - 1

    def add(
        comment: str,
        spec: list[str],
        flags: list[str],
        config: Any,
        windows: Any,
        today: int | None = None,
        expected: dict[str, Any] | None = None,
    ) -> None:
        inputs = {"config": config, "windows": windows}
        if today is not None:
            inputs["today"] = today
        result = expected if expected is not None else v2_expected(config, windows, today)
        if "error" not in result:  # the hand arithmetic must agree with the implementation above
            assert result == v2_expected(config, windows, today), comment
        hand.add(comment, spec, flags, inputs, expected=result)

    # 55 <= 55 -> immediate 1.5; 56 -> near 1.0; 300 s each: 450 + 300 = 750; high inf 1.0.
    add(
        "LFPH narrower net: 300 s at 55 dB (immediate, x1.5) + 300 s at 56 dB (near, x1.0) = 750",
        [*ids, "RISK-15"],
        ["lfph_narrower_net_1_0", "bucket_edge"],
        LFPH,
        [window(d, 1, 2, [scan(55, 50, 300), scan(56, 50, 300)])],
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 750, "maximum_score": 750, "weighted_duration_sum": 750}
            ]
        },
    )
    # standard infectiousness 0.3: 750 * 0.3 = 225; weighted duration stays 750.
    add(
        "LFPH narrower net: same scans, standard infectiousness: score 225, weighted duration 750",
        [*ids, "RISK-15"],
        ["lfph_narrower_net_1_0"],
        LFPH,
        [window(d, 1, 1, [scan(55, 50, 300), scan(56, 50, 300)])],
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 225, "maximum_score": 225, "weighted_duration_sum": 750}
            ]
        },
    )
    # 70 -> medium 0.4 (120), 71 -> other 0 (0): 120.
    add(
        "LFPH narrower net: 300 s at 70 dB (medium, x0.4) + 300 s at 71 dB (other, x0) = 120",
        ids,
        ["lfph_narrower_net_1_0", "bucket_edge"],
        LFPH,
        [window(d, 1, 2, [scan(70, 60, 300), scan(71, 60, 300)])],
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 120, "maximum_score": 120, "weighted_duration_sum": 120}
            ]
        },
    )
    # Google's ENX defaults: 30 < 31 <= 50 near, 50 < 55 <= 60 medium (x0.5), 61 other (x0);
    # 300 s each at 30, 31, 55, 61 dB: 450 + 300 + 150 + 0 = 900; both infectiousness 1.0.
    add(
        "ENX defaults: 300 s at 30, 31, 55 and 61 dB: 450 + 300 + 150 + 0 = 900",
        [*ids, "RISK-15"],
        ["enx", "bucket_edge", "days_threshold"],
        ENX,
        [
            window(
                d,
                1,
                1,
                [scan(30, 28, 300), scan(31, 28, 300), scan(55, 50, 300), scan(61, 60, 300)],
            )
        ],
        today=TODAY,
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 900, "maximum_score": 900, "weighted_duration_sum": 900}
            ]
        },
    )
    # recursive weight 0 under LFPH: score 0, weighted duration 450 (weights ignore report type).
    add(
        "LFPH narrower net: recursive report, weight 0: score 0, weighted duration 450 summed",
        ids,
        ["lfph_narrower_net_1_0", "recursive_report_type"],
        LFPH,
        [window(d, 4, 2, [scan(50, 45, 300)])],
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 0, "maximum_score": 0, "weighted_duration_sum": 450}
            ]
        },
    )
    own = copy.deepcopy(CWA_DAILY)
    own["report_type_weights"]["recursive"] = 0.5
    add(
        "recursive weight 0.5 of its own: 300 s x 1.0 x 0.5 = 150 next to a confirmed 300",
        ids,
        ["recursive_report_type"],
        own,
        [window(d, 4, 1, [scan(50, 45, 300)]), window(d, 1, 1, [scan(50, 45, 300)])],
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 450, "maximum_score": 300, "weighted_duration_sum": 600}
            ]
        },
    )
    minimum = {**CWA_DAILY, "minimum_window_score": 300}
    add(
        "minimum window score 300: a 300 window stays, a 299 window goes",
        ids,
        ["minimum_window_score"],
        minimum,
        [window(d, 1, 1, [scan(40, 40, 300)]), window(d, 1, 1, [scan(40, 40, 299)])],
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 300, "maximum_score": 300, "weighted_duration_sum": 300}
            ]
        },
    )
    add(
        "negative seconds count 0: 300 + 0",
        ids,
        ["negative_seconds"],
        CWA_DAILY,
        [window(d, 1, 1, [scan(40, 40, 300), scan(40, 40, -120)])],
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 300, "maximum_score": 300, "weighted_duration_sum": 300}
            ]
        },
    )
    tenth = {**CWA_DAILY, "attenuation_bucket_weights": [0.1, 0.1, 0.1, 0.1]}
    add(
        "ten windows of 1 s at weight 0.1: exactly 1 (float sums give 0.9999999999999999)",
        ids,
        ["exact_decimal"],
        tenth,
        [window(d, 1, 1, [scan(40, 40, 1)]) for _ in range(10)],
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 1, "maximum_score": 0.1, "weighted_duration_sum": 1}
            ]
        },
    )
    add("no windows: no summaries", ids, [], LFPH, [], expected={"daily_summaries": []})
    add(
        "a window with no scan instances: a day of zeros",
        ids,
        [],
        CWA_DAILY,
        [window(d, 1, 1, [])],
        expected={
            "daily_summaries": [
                {"day": d, "score_sum": 0, "maximum_score": 0, "weighted_duration_sum": 0}
            ]
        },
    )
    limited = {**CWA_DAILY, "days_since_exposure_threshold": 3}
    add(
        "days_since_exposure_threshold 3 with today 19000: day 18997 stays, 18996 goes",
        ids,
        ["days_threshold"],
        limited,
        [window(TODAY - 3, 1, 1, [scan(40, 40, 60)]), window(TODAY - 4, 1, 1, [scan(40, 40, 60)])],
        today=TODAY,
        expected={
            "daily_summaries": [
                {
                    "day": TODAY - 3,
                    "score_sum": 60,
                    "maximum_score": 60,
                    "weighted_duration_sum": 60,
                }
            ]
        },
    )
    invalid = [
        ("two thresholds", {**LFPH, "attenuation_bucket_thresholds_db": [55, 63]}),
        ("decreasing thresholds", {**LFPH, "attenuation_bucket_thresholds_db": [63, 55, 70]}),
        ("weight 2.6 above 250 %", {**LFPH, "attenuation_bucket_weights": [2.6, 1, 0.4, 0]}),
        (
            "missing recursive weight",
            {
                **LFPH,
                "report_type_weights": {
                    k: v for k, v in LFPH["report_type_weights"].items() if k != "recursive"
                },
            },
        ),
        ("unknown field", {**LFPH, "score_threshold": 900}),
        ("threshold 256 dB", {**LFPH, "attenuation_bucket_thresholds_db": [55, 63, 256]}),
        ("boolean weight", {**LFPH, "attenuation_bucket_weights": [True, 1, 0.4, 0]}),
        ("days threshold without today", limited),
    ]
    for comment, config in invalid:
        add(
            f"invalid configuration: {comment}",
            ["RISK-8"],
            ["invalid_config"],
            config,
            [window(d, 1, 1, [scan(40, 40, 60)])],
            expected={"error": "invalid_risk_configuration"},
        )
    for comment, bad in [
        ("report type 0", window(d, 0, 1, [scan(40, 40, 60)])),
        ("infectiousness 3", window(d, 1, 3, [scan(40, 40, 60)])),
        ("typical attenuation -1", window(d, 1, 1, [scan(-1, 40, 60)])),
        ("scan instance with an extra field", window(d, 1, 1, [{**scan(40, 40, 60), "x": 1}])),
    ]:
        add(
            f"invalid window: {comment}",
            ["RISK-9"],
            ["invalid_window"],
            LFPH,
            [bad],
            expected={"error": "invalid_exposure_window"},
        )
    generated = Group("GaenV2DailySummaries", "Random cases from the seed.")
    for index in range(40):
        config = LFPH if index < 10 else CWA_DAILY if index < 15 else random_v2_config(rng)
        windows = random_windows(rng, rng.randint(1, 6))
        flags = ["random"] + (["lfph_narrower_net_1_0"] if config is LFPH else [])
        generated.add(
            f"random case {index}",
            ids,
            flags,
            {"config": config, "windows": windows},
            expected=v2_expected(config, windows),
        )
    # Google's ENX defaults limit days since exposure to 14, so these cases give today. Their
    # own generator keeps the draws of every other case as they were.
    enx_rng = random.Random("enx")
    for index in range(40, 48):
        windows = random_windows(enx_rng, enx_rng.randint(1, 6))
        generated.add(
            f"random case {index}",
            ids,
            ["random", "enx", "days_threshold"],
            {"config": ENX, "windows": windows, "today": TODAY},
            expected=v2_expected(ENX, windows, TODAY),
        )
    return [hand, generated]


V1_NOTES = {
    "attenuation_bucket": "Attenuation value on a bucket edge (RISK-21).",
    "duration_rounding": "Duration rounded up to 5-minute steps, capped at 30 (RISK-22).",
    "days_bucket": "Days since exposure on a bucket edge (RISK-23).",
    "minimum_risk_score": "Exposures below the minimum risk score are not counted (RISK-24).",
    "recursive_report_type": "RECURSIVE gets its own transmission risk level (RISK-20).",
    "random": "Random windows and configuration from the seed.",
    "invalid_config": "A malformed configuration is rejected (RISK-8).",
    "invalid_window": "A malformed window is rejected (RISK-9, RISK-23).",
}


V1_ALGORITHM = "GAEN v1 risk scores (ExposureConfiguration) over exposure windows"


def build_v1(rng: random.Random) -> list[Group]:
    """risk-v1.json's groups: the hand-computed cases, then random ones drawn from ``rng``."""
    ids = ["RISK-20", "RISK-21", "RISK-22", "RISK-23", "RISK-24", "RISK-25"]
    hand = Group("GaenV1Summary", "Hand-computed edge cases (configuration: scores 1..8).")

    def add(
        comment: str,
        flags: list[str],
        config: Any,
        windows: Any,
        expected: dict[str, Any],
        spec: list[str] = ids,
    ) -> None:
        if "error" not in expected:  # the hand arithmetic must agree with the implementation above
            assert expected == v1_expected(config, windows, TODAY), comment
        hand.add(
            comment,
            spec,
            flags,
            {"config": config, "windows": windows, "today": TODAY},
            expected=expected,
        )

    # attenuation 63 -> bucket 2 (score 3); days 1 -> bucket 7 (8); 300 s -> 5 min -> bucket 1
    # (duration score 1); confirmed test + high -> TRL 8 (8): 3 * 8 * 1 * 8 = 192.
    add(
        "63 dB, 1 day ago, 300 s, confirmed test, high: 3 x 8 x 1 x 8 = 192",
        ["attenuation_bucket"],
        V1_CONFIG,
        [window(TODAY - 1, 1, 2, [scan(63, 60, 300)])],
        {
            "matched_exposures": 1,
            "maximum_risk_score": 192,
            "summation_risk_score": 192,
            "days_since_last_exposure": 1,
            "attenuation_durations_minutes": [0, 5, 0],
        },
    )
    # 64 dB -> bucket 1 (2); 301 s -> 10 min -> bucket 2 (2); days 14 -> bucket 0 (1);
    # recursive + standard -> TRL 1 (1): 2 * 1 * 2 * 1 = 4.
    add(
        "64 dB, 14 days ago, 301 s, recursive standard: 2 x 1 x 2 x 1 = 4",
        ["attenuation_bucket", "duration_rounding", "days_bucket", "recursive_report_type"],
        V1_CONFIG,
        [window(TODAY - 14, 4, 1, [scan(64, 60, 301)])],
        {
            "matched_exposures": 1,
            "maximum_risk_score": 4,
            "summation_risk_score": 4,
            "days_since_last_exposure": 14,
            "attenuation_durations_minutes": [0, 5, 0],
        },
    )
    # 7 scans x 300 s = 2100 s -> 35 min -> capped 30 -> bucket 6 (6); 40 dB -> bucket 3 (4);
    # days 2 -> bucket 6 (7); self report + high -> TRL 4 (4): 4 * 7 * 6 * 4 = 672.
    add(
        "2100 s capped at 30 min, 40 dB, 2 days, self report high: 4 x 7 x 6 x 4 = 672",
        ["duration_rounding", "days_bucket"],
        V1_CONFIG,
        [window(TODAY - 2, 3, 2, [scan(40, 35, 300)] * 7)],
        {
            "matched_exposures": 1,
            "maximum_risk_score": 672,
            "summation_risk_score": 672,
            "days_since_last_exposure": 2,
            "attenuation_durations_minutes": [30, 0, 0],
        },
    )
    minimum = {**V1_CONFIG, "minimum_risk_score": 5}
    add(
        "minimum risk score 5: the 4 of a recursive exposure is not counted",
        ["minimum_risk_score", "recursive_report_type"],
        minimum,
        [window(TODAY - 14, 4, 1, [scan(64, 60, 301)])],
        {
            "matched_exposures": 0,
            "maximum_risk_score": 0,
            "summation_risk_score": 0,
            "days_since_last_exposure": None,
            "attenuation_durations_minutes": [0, 0, 0],
        },
    )
    add(
        "no seconds: not an exposure",
        [],
        V1_CONFIG,
        [window(TODAY - 1, 1, 2, [scan(63, 60, 0)])],
        {
            "matched_exposures": 0,
            "maximum_risk_score": 0,
            "summation_risk_score": 0,
            "days_since_last_exposure": None,
            "attenuation_durations_minutes": [0, 0, 0],
        },
    )
    for comment, config in [
        ("seven scores", {**V1_CONFIG, "attenuation_scores": [1] * 7}),
        ("score 9", {**V1_CONFIG, "duration_scores": [9] * 8}),
        ("one threshold", {**V1_CONFIG, "duration_at_attenuation_thresholds_db": [50]}),
        (
            "encoding reaching level 9",
            {
                **V1_CONFIG,
                "transmission_risk_level_encoding": {
                    **V1_CONFIG["transmission_risk_level_encoding"],
                    "report_type_offset_confirmed_test": 7,
                },
            },
        ),
        (
            "encoding reaching level 0",
            {
                **V1_CONFIG,
                "transmission_risk_level_encoding": {
                    **V1_CONFIG["transmission_risk_level_encoding"],
                    "infectiousness_offset_standard": 0,
                },
            },
        ),
    ]:
        add(
            f"invalid configuration: {comment}",
            ["invalid_config"],
            config,
            [window(TODAY - 1, 1, 2, [scan(63, 60, 300)])],
            {"error": "invalid_risk_configuration"},
            ["RISK-8"],
        )
    add(
        "invalid window: day after today",
        ["invalid_window"],
        V1_CONFIG,
        [window(TODAY + 1, 1, 2, [scan(63, 60, 300)])],
        {"error": "invalid_exposure_window"},
        ["RISK-23"],
    )
    generated = Group("GaenV1Summary", "Random cases from the seed.")
    for index in range(30):
        config = V1_CONFIG if index < 10 else random_v1_config(rng)
        windows = random_windows(rng, rng.randint(1, 6))
        generated.add(
            f"random case {index}",
            ids,
            ["random"],
            {"config": config, "windows": windows, "today": TODAY},
            expected=v1_expected(config, windows, TODAY),
        )
    return [hand, generated]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    generator = f"spec/tools/gaen_vectors.py --seed {args.seed}"
    # One generator for both files, in this order: v1's random cases follow v2's.
    rng = random.Random(args.seed)
    for name, algorithm, notes, build in (
        ("risk-v2.json", V2_ALGORITHM, V2_NOTES, build_v2),
        ("risk-v1.json", V1_ALGORITHM, V1_NOTES, build_v1),
    ):
        count = write_vector_file(args.out, name, algorithm, generator, notes, build(rng))
        print(f"{name}: {count} tests")


if __name__ == "__main__":
    main()
