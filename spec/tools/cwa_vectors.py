"""Convert Corona-Warn-App's cross-platform risk test cases into spec/vectors/risk-cwa.json.

Usage:
    python spec/tools/cwa_vectors.py [--out spec/vectors]

It reads the two upstream files kept unchanged in spec/tools/upstream/ (Apache-2.0) and stops
unless their SHA-256 digests are the published files' digests:
cwa-android-exposure-windows-risk-calculation.json is exposure-windows-risk-calculation.json
from corona-warn-app/cwa-app-android (Corona-Warn-App/src/test/resources/, commit
d98f9c20c595ca5dc877f87f032b47d8b8175a79, 29 cases); cwa-ios-... the file of the same name
from corona-warn-app/cwa-app-ios (src/xcode/ENA/ENA/Source/Services/Risk/Calculation/
__tests__/, commit 02c629b695e64643b3d8a06dff290eb59ae14ad3, 28 cases, older configuration).

Each CWA case becomes one vector: its file's configuration (unchanged, CWA's camelCase JSON),
its windows in our window form (snake_case; ``day = REFERENCE_DAY - ageInDays``) and the
platform whose app the file tests (``android`` or ``ios``, RISK-36). The expected values are
CWA's, with ages turned into day numbers the same way. Hand-computed cases follow: every rule
on which the two apps differ, once per platform (the rounding of a day's normalized time,
RISK-36; the encounters of days no mapping holds, RISK-37), order independence (RISK-7) and
invalid inputs (RISK-8, RISK-9). The script checks nothing itself: the test suite replays
the file.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from vectorfile import VECTORS_DIR, Group, write_vector_file

REFERENCE_DAY = 19000  # 2022-01-08: "today" of the converted cases.
ANDROID_SOURCE = (
    "corona-warn-app/cwa-app-android:Corona-Warn-App/src/test/resources/"
    "exposure-windows-risk-calculation.json@d98f9c20c595ca5dc877f87f032b47d8b8175a79"
)
IOS_SOURCE = (
    "corona-warn-app/cwa-app-ios:src/xcode/ENA/ENA/Source/Services/Risk/Calculation/"
    "__tests__/exposure-windows-risk-calculation.json@02c629b695e64643b3d8a06dff290eb59ae14ad3"
)
ALGORITHM = "Corona-Warn-App risk calculation over exposure windows (spec section 5)"
GROUP_TYPE = "CwaRiskCalculation"

NOTES = {
    "cwa_android": "A case of CWA's Android test file, platform android (RISK-36).",
    "cwa_ios": "A case of CWA's iOS test file (its older configuration), platform ios.",
    "recursive_report_type": "A window with report type RECURSIVE (own TRL offset, RISK-30).",
    "rounding_boundary": (
        "Day normalized time near a threshold: android rounds the exact day sum to one "
        "decimal, half up; ios compares it unrounded (RISK-36)."
    ),
    "unmapped_day": (
        "A day no level mapping holds: android drops its windows everywhere; ios still counts "
        "their distinct encounters (RISK-37)."
    ),
    "platform_difference": "The two platforms answer differently; one vector per platform.",
    "default_platform": "No platform given: android, the default (RISK-36).",
    "invalid_platform": "A platform other than android or ios is rejected (RISK-36).",
    "order_independence": "Windows in another order give the same verdict (RISK-7).",
    "negative_seconds": "A negative secondsSinceLastScan counts as 0 (RISK-9).",
    "invalid_config": "A malformed configuration is rejected (RISK-8).",
    "invalid_window": "A malformed or unscorable window is rejected (RISK-9).",
}


def window(w: dict[str, Any]) -> dict[str, Any]:
    """One CWA test window in our window form."""
    return {
        "day": REFERENCE_DAY - w["ageInDays"],
        "report_type": w["reportType"],
        "infectiousness": w["infectiousness"],
        "calibration_confidence": w["calibrationConfidence"],
        "scan_instances": [
            {
                "typical_attenuation_db": s["typicalAttenuation"],
                "min_attenuation_db": s["minAttenuation"],
                "seconds_since_last_scan": s["secondsSinceLastScan"],
            }
            for s in w["scanInstances"]
        ],
    }


def day(age: int | None) -> int | None:
    return None if age is None else REFERENCE_DAY - age


def expected(case: dict[str, Any]) -> dict[str, Any]:
    """CWA's expected values, ages turned into day numbers."""
    return {
        "total_risk_level": case["expTotalRiskLevel"],
        "most_recent_day_with_low_risk": day(case["expAgeOfMostRecentDateWithLowRisk"]),
        "most_recent_day_with_high_risk": day(case["expAgeOfMostRecentDateWithHighRisk"]),
        "number_of_days_with_low_risk": case["expNumberOfDaysWithLowRisk"],
        "number_of_days_with_high_risk": case["expNumberOfDaysWithHighRisk"],
        "total_minimum_distinct_encounters_with_low_risk": case[
            "expTotalMinimumDistinctEncountersWithLowRisk"
        ],
        "total_minimum_distinct_encounters_with_high_risk": case[
            "expTotalMinimumDistinctEncountersWithHighRisk"
        ],
    }


def flags_of(case: dict[str, Any], platform: str) -> list[str]:
    flags = [platform]
    windows = case["exposureWindows"]
    if any(w["reportType"] == 4 for w in windows):
        flags.append("recursive_report_type")
    if any(s["secondsSinceLastScan"] < 0 for w in windows for s in w["scanInstances"]):
        flags.append("negative_seconds")
    return flags


SPEC_IDS = [
    "RISK-30",
    "RISK-31",
    "RISK-32",
    "RISK-33",
    "RISK-34",
    "RISK-35",
    "RISK-36",
    "RISK-37",
    "RISK-38",
]


def converted(data: dict[str, Any], platform: str, source: str) -> Group:
    """One upstream file's cases, each with that file's configuration and platform."""
    config = data["defaultRiskCalculationConfiguration"]
    group = Group(
        GROUP_TYPE,
        f"CWA's {platform[4:]} test cases, converted: day = {REFERENCE_DAY} - ageInDays, "
        f"platform {platform[4:]}. Configuration unchanged.",
    )
    for case in data["testCases"]:
        group.add(
            case["description"],
            SPEC_IDS,
            flags_of(case, platform),
            {
                "config": config,
                "windows": [window(w) for w in case["exposureWindows"]],
                "platform": platform[4:],
            },
            expected=expected(case),
            source=source,
        )
    return group


def scan(typical: int, minimum: int, seconds: int) -> dict[str, int]:
    return {
        "typical_attenuation_db": typical,
        "min_attenuation_db": minimum,
        "seconds_since_last_scan": seconds,
    }


def verdict(
    low_days: list[int], high_days: list[int], low_encounters: int, high_encounters: int
) -> dict[str, Any]:
    """A CWA result (RISK-38) from its kept days and encounter counts."""
    return {
        "total_risk_level": 2 if high_days else 1,
        "most_recent_day_with_low_risk": max(low_days, default=None),
        "most_recent_day_with_high_risk": max(high_days, default=None),
        "number_of_days_with_low_risk": len(low_days),
        "number_of_days_with_high_risk": len(high_days),
        "total_minimum_distinct_encounters_with_low_risk": low_encounters,
        "total_minimum_distinct_encounters_with_high_risk": high_encounters,
    }


def hand_cases(android: dict[str, Any]) -> Group:
    """The hand-computed cases, on CWA Android's configuration."""
    config = android["defaultRiskCalculationConfiguration"]
    group = Group(
        GROUP_TYPE,
        "Hand-computed cases: every rule the two platforms disagree on, once per platform, "
        "and invalid inputs. Configuration: CWA Android's.",
    )
    yesterday = REFERENCE_DAY - 1

    def per_platform(
        comment: str,
        spec: list[str],
        flags: list[str],
        windows: list[dict[str, Any]],
        answers: dict[str, dict[str, Any]],
    ) -> None:
        differ = answers["android"] != answers["ios"]
        for platform, answer in answers.items():
            group.add(
                f"{comment} ({platform})",
                spec,
                flags + (["platform_difference"] if differ else []),
                {"config": config, "windows": windows, "platform": platform},
                expected=answer,
            )

    def clinical(scans: list[dict[str, int]], day: int = yesterday) -> dict[str, Any]:
        # TRL = 4 (clinical diagnosis) + 2 (high) = 6, TRV 1.2; confidence 3.
        return {
            "day": day,
            "report_type": 2,
            "infectiousness": 2,
            "calibration_confidence": 3,
            "scan_instances": scans,
        }

    # 448 s at weight 1.0 (min 65 in [63, 73)): 1.2 * 448 / 60 = 8.96 -> window LOW (< 9);
    # day 8.96: android rounds to 9.0 -> HIGH; ios compares 8.96 -> LOW.
    boundary = clinical([scan(66, 65, 300), scan(66, 65, 148)])
    per_platform(
        "day normalized time 8.96",
        ["RISK-7", "RISK-35", "RISK-36"],
        ["rounding_boundary"],
        [boundary],
        {
            "android": verdict([], [yesterday], 1, 0),
            "ios": verdict([yesterday], [], 1, 0),
        },
    )
    # 4475 s at weight 0.1 (min 75 in [73, 79)): 1.2 * 0.1 * 4475 / 60 = 8.95 exactly:
    # android rounds half up to 9.0 -> HIGH; ios LOW.
    per_platform(
        "day normalized time exactly 8.95: half up",
        ["RISK-7", "RISK-36"],
        ["rounding_boundary"],
        [clinical([scan(76, 75, 4475)])],
        {
            "android": verdict([], [yesterday], 1, 0),
            "ios": verdict([yesterday], [], 1, 0),
        },
    )
    # 4470 s: 8.94 -> android 8.9 (LOW), ios 8.94 (LOW): rounding is to nearest, not up.
    per_platform(
        "day normalized time 8.94: rounds down to 8.9",
        ["RISK-7", "RISK-36"],
        ["rounding_boundary"],
        [clinical([scan(76, 75, 4470)])],
        {
            "android": verdict([yesterday], [], 1, 0),
            "ios": verdict([yesterday], [], 1, 0),
        },
    )
    # Three windows whose exact sum is 9.0 (0.6 + 4.8 + 3.6), in the two orders that give
    # 9.0 and 8.999999999999998 in binary floating point summed left to right.
    parts = [clinical([p]) for p in (scan(76, 73, 300), scan(74, 72, 240), scan(71, 70, 180))]
    for order, name in ((parts, "CWA order"), (parts[::-1], "reversed")):
        per_platform(
            f"day sum exactly 9.0 from 0.6 + 4.8 + 3.6, {name}: HIGH",
            ["RISK-7", "RISK-36"],
            ["rounding_boundary", "order_independence"],
            order,
            {
                "android": verdict([], [yesterday], 1, 0),
                "ios": verdict([], [yesterday], 1, 0),
            },
        )
    # One window of 0.6 (LOW): the day (0.6 < 5) is unmapped. android drops it everywhere;
    # ios counts its one distinct LOW encounter, with no day at any level.
    per_platform(
        "a LOW window on a day below every day level",
        ["RISK-36", "RISK-37", "RISK-38"],
        ["unmapped_day"],
        [parts[0]],
        {
            "android": verdict([], [], 0, 0),
            "ios": verdict([], [], 1, 0),
        },
    )
    # TRL = 0 (recursive) + 2 (high) = 2 -> TRV 0 -> normalized time 0 -> LOW window; the
    # day (0) is unmapped: android drops it, ios counts one LOW encounter.
    recursive = {
        "day": REFERENCE_DAY - 2,
        "report_type": 4,
        "infectiousness": 2,
        "calibration_confidence": 0,
        "scan_instances": [scan(60, 55, 300)] * 3,
    }
    per_platform(
        "recursive report: TRL 2, value 0: the day is unmapped",
        ["RISK-30", "RISK-33", "RISK-36", "RISK-37"],
        ["recursive_report_type", "unmapped_day"],
        [recursive],
        {
            "android": verdict([], [], 0, 0),
            "ios": verdict([], [], 1, 0),
        },
    )
    own_weight = copy.deepcopy(config)
    own_weight["trlEncoding"]["reportTypeOffsetRecursive"] = 6
    # TRL = 6 + 2 = 8 -> TRV 1.6; 900 s at weight 0.8 (min attenuation 55 < 63):
    # 1.6 * 720 / 60 = 19.2 -> HIGH on both platforms; no platform given: android.
    group.add(
        "recursive report with its own offset 6: TRL 8, 19.2 -> HIGH (default platform)",
        ["RISK-30", "RISK-34", "RISK-35", "RISK-36"],
        ["recursive_report_type", "default_platform"],
        {"config": own_weight, "windows": [recursive]},
        expected=verdict([], [REFERENCE_DAY - 2], 0, 1),
    )
    group.add(
        "day normalized time 8.96, no platform given: android's rounding -> HIGH",
        ["RISK-36"],
        ["rounding_boundary", "default_platform"],
        {"config": config, "windows": [boundary]},
        expected=verdict([], [yesterday], 1, 0),
    )
    for comment, bad in (("unknown platform", "windows"), ("platform as a number", 1)):
        group.add(
            f"invalid platform: {comment}",
            ["RISK-36"],
            ["invalid_platform"],
            {"config": config, "windows": [boundary], "platform": bad},
            expected={"error": "invalid_risk_configuration"},
        )
    invalid_configs = [
        ("unknown field", {**config, "maxEncounterAgeInDays": 10}),
        (
            "risk level 3",
            {
                **config,
                "normalizedTimePerEWToRiskLevelMapping": [
                    {"normalizedTimeRange": {"min": 0, "max": 9}, "riskLevel": 3}
                ],
            },
        ),
        (
            "negative weight",
            {
                **config,
                "minutesAtAttenuationWeights": [
                    {"attenuationRange": {"min": 0, "max": 63}, "weight": -0.5}
                ],
            },
        ),
        (
            "weight is a list",
            {
                **config,
                "minutesAtAttenuationWeights": [
                    {"attenuationRange": {"min": 0, "max": 63}, "weight": [0.8]}
                ],
            },
        ),
        ("missing trlEncoding", {k: v for k, v in config.items() if k != "trlEncoding"}),
        (
            "transmission risk level 9",
            {
                **config,
                "transmissionRiskValueMapping": [
                    {"transmissionRiskLevel": 9, "transmissionRiskValue": 1}
                ],
            },
        ),
        (
            "weight with 7 decimal places",
            {
                **config,
                "minutesAtAttenuationWeights": [
                    {"attenuationRange": {"min": 0, "max": 63}, "weight": 0.1234567}
                ],
            },
        ),
        ("configuration is a list", [config]),
    ]
    for comment, bad in invalid_configs:
        group.add(
            f"invalid configuration: {comment}",
            ["RISK-8"],
            ["invalid_config"],
            {"config": bad, "windows": [boundary]},
            expected={"error": "invalid_risk_configuration"},
        )
    invalid_windows = [
        ("report type UNKNOWN (0)", {**boundary, "report_type": 0}),
        ("report type REVOKED (5)", {**boundary, "report_type": 5}),
        ("infectiousness NONE (0)", {**boundary, "infectiousness": 0}),
        ("attenuation 256", {**boundary, "scan_instances": [scan(256, 65, 300)]}),
        ("missing day", {k: v for k, v in boundary.items() if k != "day"}),
        ("calibration confidence 4", {**boundary, "calibration_confidence": 4}),
    ]
    for comment, bad in invalid_windows:
        group.add(
            f"invalid window: {comment}",
            ["RISK-9"],
            ["invalid_window"],
            {"config": config, "windows": [bad]},
            expected={"error": "invalid_exposure_window"},
        )
    return group


def build(android: dict[str, Any], ios: dict[str, Any]) -> list[Group]:
    """The file's groups: Android's cases, iOS's cases, then the hand-computed ones."""
    return [
        converted(android, "cwa_android", ANDROID_SOURCE),
        converted(ios, "cwa_ios", IOS_SOURCE),
        hand_cases(android),
    ]


UPSTREAM = Path(__file__).resolve().parent / "upstream"
ANDROID_FILE = (
    UPSTREAM / "cwa-android-exposure-windows-risk-calculation.json",
    "3fe3e99e68f0b6929a9f79c438dc7964e8b44fb4977cdfe8dd17f6d56bfe51a2",
)
IOS_FILE = (
    UPSTREAM / "cwa-ios-exposure-windows-risk-calculation.json",
    "651155fbb3d991aed34458fcea85f17eb421d241b6d22ce263e59a08a166d551",
)


def read_upstream(path: Path, digest: str) -> dict[str, Any]:
    """The upstream file, after checking it is byte for byte the published one."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise SystemExit(f"{path.name}: not the published file (sha256 differs)")
    return json.loads(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    groups = build(read_upstream(*ANDROID_FILE), read_upstream(*IOS_FILE))
    count = write_vector_file(
        args.out, "risk-cwa.json", ALGORITHM, "spec/tools/cwa_vectors.py", NOTES, groups
    )
    print(f"risk-cwa.json: {count} tests")


if __name__ == "__main__":
    main()
