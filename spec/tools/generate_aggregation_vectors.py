#!/usr/bin/env python3
"""Generate spec/vectors/risk-aggregation.json: scans and sightings into exposure windows.

Usage: python spec/tools/generate_aggregation_vectors.py [--out DIR]

Cases of RISK-4 (scan instances: rounded mean, minimum, seconds since the last scan), RISK-5
(windows of one key, one UTC day and under 30 minutes) and RISK-6 (report type and
infectiousness through the diagnosis keys data mapping). Expected windows come from
``windows`` below, written from the spec text; it imports nothing of ``protocol``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reference_impl import SpecError
from vectorfile import VECTORS_DIR, Group, write_vector_file

DAY_S = 86_400
NOON = 19_000 * DAY_S + 43_200  # the worked example of RISK-5
MAX_GAP_S = 300  # RISK-4
WINDOW_S = 1_800  # RISK-5
MAX_UNIX_S = (2**32 - 1) * 600
REVOKED, UNKNOWN = 5, 0

MAPPING = {
    "days_since_onset_to_infectiousness": {str(d): (2 if abs(d) <= 2 else 1) for d in range(-5, 8)},
    "infectiousness_when_days_since_onset_missing": 1,
    "report_type_when_missing": 1,
}

NOTES = {
    "WorkedExample": "the worked example of RISK-5",
    "Rounding": "the typical attenuation is the mean rounded half up (RISK-4)",
    "ScanGap": "seconds since the last scan: capped at 300, the first scan counts 300 (RISK-4)",
    "WindowEdge": "a window closes at 1,800 s after its first scan or at UTC midnight (RISK-5)",
    "Confidence": "a window's calibration confidence is the lowest of its sightings (RISK-5)",
    "Mapping": "report type and infectiousness through the data mapping (RISK-6)",
    "InvalidInput": "scans out of order, an unknown key, a value out of range (RISK-4)",
}


def _check(value: Any, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SpecError("invalid_sighting", "RISK-4")


def windows(inputs: dict[str, Any]) -> dict[str, Any]:
    """RISK-4, RISK-5, RISK-6 from the spec's words; SpecError for invalid input."""
    keys, mapping = inputs["keys"], inputs["mapping"]
    heard_by_key: dict[int, list[tuple[int, dict[str, int], int]]] = {}
    previous = None
    for scan in inputs["scans"]:
        start = scan["start_s"]
        _check(start, 0, MAX_UNIX_S)
        if previous is not None and start <= previous:
            raise SpecError("invalid_sighting", "RISK-4")
        gap = MAX_GAP_S if previous is None else min(MAX_GAP_S, start - previous)
        previous = start
        per_key: dict[int, list[dict[str, int]]] = {}
        for sighting in scan["sightings"]:
            _check(sighting["key"], 0, len(keys) - 1)
            _check(sighting["attenuation_db"], 0, 255)
            _check(sighting["calibration_confidence"], 0, 3)
            per_key.setdefault(sighting["key"], []).append(sighting)
        for key, heard in per_key.items():
            values = [s["attenuation_db"] for s in heard]
            n = len(values)
            instance = {
                "typical_attenuation_db": (2 * sum(values) + n) // (2 * n),
                "min_attenuation_db": min(values),
                "seconds_since_last_scan": gap,
            }
            confidence = min(s["calibration_confidence"] for s in heard)
            heard_by_key.setdefault(key, []).append((start, instance, confidence))
    result = []
    for key in sorted(heard_by_key):
        report_type = keys[key]["report_type"]
        if report_type in (None, UNKNOWN):
            report_type = mapping["report_type_when_missing"]
        days = keys[key]["days_since_onset"]
        if days is None:
            infectiousness = mapping["infectiousness_when_days_since_onset_missing"]
        else:
            infectiousness = mapping["days_since_onset_to_infectiousness"].get(str(days), 0)
        if report_type == REVOKED or infectiousness == 0:
            continue
        groups: list[list[tuple[int, dict[str, int], int]]] = []
        for item in heard_by_key[key]:
            first = groups[-1][0][0] if groups else None
            if (
                first is not None
                and first // DAY_S == item[0] // DAY_S
                and item[0] - first < WINDOW_S
            ):
                groups[-1].append(item)
            else:
                groups.append([item])
        for group in groups:
            result.append(
                {
                    "day": group[0][0] // DAY_S,
                    "report_type": report_type,
                    "infectiousness": infectiousness,
                    "calibration_confidence": min(c for _, _, c in group),
                    "scan_instances": [i for _, i, _ in group],
                }
            )
    return {"windows": result}


def _scan(start: int, *heard: tuple[int, int, int]) -> dict[str, Any]:
    """A scan at ``start`` hearing (key, attenuation, confidence) sightings."""
    sightings = [{"key": k, "attenuation_db": a, "calibration_confidence": c} for k, a, c in heard]
    return {"start_s": start, "sightings": sightings}


def _key(report_type: int | None = 1, days: int | None = 0) -> dict[str, Any]:
    return {"report_type": report_type, "days_since_onset": days}


def cases() -> list[tuple[str, list[str], list[str], dict[str, Any], str | None]]:
    """(comment, rules, flags, inputs, error) of every case."""
    one = [_key()]
    t = NOON

    def inputs(scans: list, keys: list | None = None, mapping: dict | None = None) -> dict:
        return {"scans": scans, "keys": keys or one, "mapping": mapping or MAPPING}

    worked = [_scan(t, (0, 50, 3), (0, 56, 3)), _scan(t + 200), _scan(t + 400, (0, 60, 3))]
    worked.append(_scan(t + 1200, (0, 62, 3)))
    return [
        (
            "the worked example of RISK-5: one window of three instances",
            ["RISK-4", "RISK-5"],
            ["WorkedExample", "ScanGap"],
            inputs(worked),
            None,
        ),
        (
            "a scan at T+1800 opens a second window",
            ["RISK-5"],
            ["WindowEdge"],
            inputs([*worked, _scan(t + 1800, (0, 70, 3))]),
            None,
        ),
        (
            "a scan at T+1799 is still in the first window",
            ["RISK-5"],
            ["WindowEdge"],
            inputs([_scan(t, (0, 50, 3)), _scan(t + 1799, (0, 51, 3))]),
            None,
        ),
        (
            "scans on both sides of UTC midnight: two windows, two days",
            ["RISK-5"],
            ["WindowEdge"],
            inputs([_scan(t + 43_199, (0, 50, 3)), _scan(t + 43_200, (0, 51, 3))]),
            None,
        ),
        (
            "mean 52.5 rounds up to 53",
            ["RISK-4"],
            ["Rounding"],
            inputs([_scan(t, (0, 52, 1), (0, 53, 1))]),
            None,
        ),
        (
            "mean 52.25 rounds down to 52",
            ["RISK-4"],
            ["Rounding"],
            inputs([_scan(t, (0, 52, 1), (0, 52, 1), (0, 52, 1), (0, 53, 1))]),
            None,
        ),
        (
            "attenuations 0 and 255, the extremes",
            ["RISK-4"],
            ["Rounding"],
            inputs([_scan(t, (0, 0, 1), (0, 255, 1))]),
            None,
        ),
        (
            "gaps of 299, 300 and 301 s: the last is capped at 300",
            ["RISK-4"],
            ["ScanGap"],
            inputs(
                [
                    _scan(t, (0, 40, 2)),
                    _scan(t + 299, (0, 40, 2)),
                    _scan(t + 599, (0, 40, 2)),
                    _scan(t + 900, (0, 40, 2)),
                ]
            ),
            None,
        ),
        (
            "scans that heard nothing still set the next gap",
            ["RISK-4"],
            ["ScanGap"],
            inputs([_scan(t), _scan(t + 60), _scan(t + 120, (0, 45, 2))]),
            None,
        ),
        (
            "the lowest sender confidence of the window",
            ["RISK-5"],
            ["Confidence"],
            inputs([_scan(t, (0, 50, 3)), _scan(t + 200, (0, 50, 1)), _scan(t + 400, (0, 50, 2))]),
            None,
        ),
        (
            "two keys in one scan: one window each, never mixed",
            ["RISK-4", "RISK-5"],
            ["Confidence"],
            inputs(
                [_scan(t, (0, 50, 3), (1, 70, 2)), _scan(t + 200, (1, 71, 2))], [_key(), _key(2, 1)]
            ),
            None,
        ),
        (
            "days since onset 1 maps to HIGH, report type 3 kept",
            ["RISK-6"],
            ["Mapping"],
            inputs([_scan(t, (0, 50, 3))], [_key(3, 1)]),
            None,
        ),
        (
            "days since onset 14 is not in the table: NONE, no window",
            ["RISK-6"],
            ["Mapping"],
            inputs([_scan(t, (0, 50, 3))], [_key(1, 14)]),
            None,
        ),
        (
            "no days since onset: the mapping's default infectiousness",
            ["RISK-6"],
            ["Mapping"],
            inputs([_scan(t, (0, 50, 3))], [_key(1, None)]),
            None,
        ),
        (
            "report type UNKNOWN and missing: the mapping's default report type",
            ["RISK-6"],
            ["Mapping"],
            inputs(
                [_scan(t, (0, 50, 3), (1, 60, 3))],
                [_key(0, 0), _key(None, 0)],
                {**MAPPING, "report_type_when_missing": 2},
            ),
            None,
        ),
        (
            "RECURSIVE is kept as its own report type",
            ["RISK-6"],
            ["Mapping"],
            inputs([_scan(t, (0, 50, 3))], [_key(4, 0)]),
            None,
        ),
        (
            "a REVOKED key gives no window",
            ["RISK-6"],
            ["Mapping"],
            inputs([_scan(t, (0, 50, 3))], [_key(5, 0)]),
            None,
        ),
        ("no scans: no windows", ["RISK-4"], ["ScanGap"], inputs([]), None),
        (
            "two scans at the same second",
            ["RISK-4"],
            ["InvalidInput"],
            inputs([_scan(t, (0, 50, 3)), _scan(t, (0, 51, 3))]),
            "invalid_sighting",
        ),
        (
            "scans out of order",
            ["RISK-4"],
            ["InvalidInput"],
            inputs([_scan(t + 10, (0, 50, 3)), _scan(t, (0, 51, 3))]),
            "invalid_sighting",
        ),
        (
            "a sighting of an unknown key",
            ["RISK-4"],
            ["InvalidInput"],
            inputs([_scan(t, (1, 50, 3))]),
            "invalid_sighting",
        ),
        (
            "attenuation 256",
            ["RISK-4"],
            ["InvalidInput"],
            inputs([_scan(t, (0, 256, 3))]),
            "invalid_sighting",
        ),
        (
            "calibration confidence 4",
            ["RISK-4"],
            ["InvalidInput"],
            inputs([_scan(t, (0, 50, 4))]),
            "invalid_sighting",
        ),
        (
            "a scan before the epoch",
            ["RISK-4"],
            ["InvalidInput"],
            inputs([_scan(-1, (0, 50, 3))]),
            "invalid_sighting",
        ),
    ]


def build() -> list[Group]:
    """The one group of the file."""
    group = Group(
        "ExposureWindows", "scans and their matched sightings as exposure windows", windows
    )
    for comment, rules, flags, inputs, error in cases():
        group.add(comment, rules, flags, inputs, error=error)
    return [group]


def main(argv: list[str] | None = None) -> int:
    """Write risk-aggregation.json; print its number of tests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args(argv)
    count = write_vector_file(
        args.out,
        "risk-aggregation.json",
        "exposure windows from scans and matched sightings (spec RISK-4..RISK-6)",
        "spec/tools/generate_aggregation_vectors.py",
        NOTES,
        build(),
    )
    print(f"risk-aggregation.json: {count} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
