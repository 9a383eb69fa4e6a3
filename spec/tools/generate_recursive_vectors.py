"""Generate spec/vectors/recursive.json: recursive uploads, revised keys, F1/F2 levels.

Expected values come from short implementations written here from the text of spec SRV-21
(which keys a recursive upload keeps), MATCH-11 (how revised keys resolve across batches),
RISK-59 (the F1 or F2 level of a check's windows, scored with this directory's separate GAEN
v2 implementation) and RISK-61 (a change of level and its reason), independent of
``bluezone.protocol``. Keys are drawn from a seeded generator.

Usage: python spec/tools/generate_recursive_vectors.py --seed 12
"""

from __future__ import annotations

import argparse
import copy
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

from gaen_vectors import ENX, exact, number, scan, v2_expected, window
from vectorfile import VECTORS_DIR, Group, text_hex, write_vector_file

DAY = 20_300  # a UTC day number (2025-07-31)
DAY_START = DAY * 144
F1_TYPES = (1, 2, 3)
RANK = {"none": 0, "F2": 1, "F1": 2}

NOTES = {
    "boundary": "a value exactly at the edge of its rule",
    "exposure_day": "keys before, on and after the exposure day of a recursive code",
    "all_dropped": "a recursive upload with no key from the exposure day on",
    "revoked": "a key revised to REVOKED in a later batch",
    "upgraded": "a key revised from RECURSIVE to CONFIRMED_TEST",
    "first_copy_period": "a revised copy with another rolling period than the first copy",
    "f1_wins": "windows reaching both the F1 and the F2 thresholds",
    "recursive_only": "only RECURSIVE windows",
    "withdrawal": "an alert withdrawn after its keys were revoked",
}


# --- SRV-21: the keys a recursive upload keeps -------------------------------------------


def recursive_expected(keys: list[dict[str, Any]], exposure_interval: int) -> dict[str, Any]:
    day = exposure_interval // 144
    kept = [i for i, k in enumerate(keys) if k["rolling_start"] // 144 >= day]
    if not kept:
        return {"error": "no_key_after_exposure"}
    return {"kept": kept, "dropped": [i for i in range(len(keys)) if i not in kept]}


def _key(rng: random.Random, start: int, period: int = 144) -> dict[str, Any]:
    return {"key_data": rng.randbytes(16).hex(), "rolling_start": start, "rolling_period": period}


def recursive_group(rng: random.Random) -> Group:
    group = Group("RecursiveKeys", "the keys of a recursive upload kept and dropped (SRV-21)")
    days = [_key(rng, DAY_START + 144 * d) for d in (-3, -2, -1, 0, 1)]
    cases = [
        ("exposure mid-day: keys of earlier days dropped", days, DAY_START + 70, ["exposure_day"]),
        ("exposure at the day's first interval", days, DAY_START, ["exposure_day", "boundary"]),
        (
            "exposure at the day's last interval",
            days,
            DAY_START + 143,
            ["exposure_day", "boundary"],
        ),
        (
            "a partial key starting late on the day before is dropped",
            [_key(rng, DAY_START - 1, 1), _key(rng, DAY_START, 1)],
            DAY_START + 10,
            ["exposure_day", "boundary"],
        ),
        ("every key from the exposure day on", days[3:], DAY_START - 144 * 5, ["exposure_day"]),
        ("every key before the exposure day", days[:3], DAY_START, ["all_dropped"]),
    ]
    for comment, keys, exposure, flags in cases:
        inputs = {"keys": keys, "exposure_interval": exposure}
        group.add(comment, ["SRV-21"], flags, inputs, expected=recursive_expected(keys, exposure))
    return group


# --- MATCH-11: revised keys resolved across batches ----------------------------------------


def resolve_expected(batches: list[dict[str, Any]]) -> dict[str, Any]:
    resolved: dict[str, dict[str, Any]] = {}
    for batch in batches:
        for key in [*batch["keys"], *batch["revised_keys"]]:
            first = resolved.get(key["key_data"])
            if first is None:
                resolved[key["key_data"]] = dict(key)
            else:
                first["report_type"] = key["report_type"]
                first["days_since_onset"] = key["days_since_onset"]
    return {"keys": list(resolved.values())}


def _published(key: dict[str, Any], report_type: int, onset: int | None) -> dict[str, Any]:
    return {**key, "report_type": report_type, "days_since_onset": onset}


def resolve_group(rng: random.Random) -> Group:
    group = Group("ResolveRevisedKeys", "keys resolved across batches in log order (MATCH-11)")
    a, b, c = (_key(rng, DAY_START + 144 * d) for d in (-2, -1, 0))
    short = dict(a, rolling_period=72)
    cases = [
        (
            "a RECURSIVE key revised to REVOKED in a later batch",
            [
                {"keys": [_published(a, 4, 0), _published(b, 1, 1)], "revised_keys": []},
                {"keys": [], "revised_keys": [_published(a, 5, 0)]},
            ],
            ["revoked"],
        ),
        (
            "RECURSIVE, then CONFIRMED_TEST, then REVOKED",
            [
                {"keys": [_published(c, 4, None)], "revised_keys": []},
                {"keys": [], "revised_keys": [_published(c, 1, 2)]},
                {"keys": [_published(b, 1, None)], "revised_keys": [_published(c, 5, 2)]},
            ],
            ["upgraded", "revoked"],
        ),
        (
            "a revision in the same batch comes after its keys",
            [{"keys": [_published(a, 4, None)], "revised_keys": [_published(a, 1, None)]}],
            ["upgraded"],
        ),
        (
            "the first copy's period stays",
            [
                {"keys": [_published(a, 4, None)], "revised_keys": []},
                {"keys": [], "revised_keys": [_published(short, 5, None)]},
            ],
            ["first_copy_period", "revoked"],
        ),
        (
            "a revised key never published before is a key of its own",
            [{"keys": [_published(b, 1, 0)], "revised_keys": [_published(c, 5, None)]}],
            ["revoked"],
        ),
    ]
    for comment, batches, flags in cases:
        group.add(
            comment, ["MATCH-11"], flags, {"batches": batches}, expected=resolve_expected(batches)
        )
    return group


# --- RISK-59: the level of a check's windows -----------------------------------------------


def _sums(config: dict[str, Any], windows: list[dict[str, Any]]) -> dict[int, Fraction]:
    summaries = v2_expected(config, windows)["daily_summaries"]
    return {s["day"]: exact(s["score_sum"]) for s in summaries}


def level_expected(inputs: dict[str, Any]) -> dict[str, Any]:
    config = inputs["config"]
    f1 = _sums(config, [w for w in inputs["windows"] if w["report_type"] in F1_TYPES])
    f2_config = copy.deepcopy(config)
    f2_config["report_type_weights"]["recursive"] = inputs["recursive_weight"]
    f2 = _sums(f2_config, [w for w in inputs["windows"] if w["report_type"] == 4])
    best_f1 = max(((s, d) for d, s in f1.items()), default=None)
    best_f2 = max(((s, d) for d, s in f2.items()), default=None)
    if best_f1 is not None and best_f1[0] >= exact(inputs["score_sum_threshold"]):
        return {"level": text_hex("F1"), "day": best_f1[1], "score": number(best_f1[0])}
    if best_f2 is not None and best_f2[0] >= exact(inputs["recursive_score_sum_threshold"]):
        return {"level": text_hex("F2"), "day": best_f2[1], "score": number(best_f2[0])}
    score = number(best_f1[0]) if best_f1 else 0
    return {"level": text_hex("none"), "day": None, "score": score}


def _minutes(minutes: int, attenuation: int = 50) -> list[dict[str, int]]:
    return [scan(attenuation, attenuation, 300) for _ in range(minutes // 5)]


def level_group() -> Group:
    group = Group("ExposureLevel", "F1, F2 or none from exposure windows (RISK-59)")
    high, standard = 2, 1

    def case(comment, windows, flags, weight=1.0, f2_threshold=900):
        inputs = {
            "config": ENX,
            "score_sum_threshold": 900,
            "recursive_weight": weight,
            "recursive_score_sum_threshold": f2_threshold,
            "windows": windows,
        }
        group.add(comment, ["RISK-59"], flags, inputs, expected=level_expected(inputs))

    case("15 minutes immediate near a confirmed key: F1", [window(DAY, 1, high, _minutes(15))], [])
    case(
        "10 minutes immediate (900 exactly) near a self-reported key: F1",
        [window(DAY, 3, high, _minutes(10))],
        ["boundary"],
    )
    case(
        "only RECURSIVE windows: F2, never F1",
        [window(DAY, 4, high, _minutes(15))],
        ["recursive_only"],
    )
    case(
        "RECURSIVE at STANDARD infectiousness: 45 min x 1.5 x 0.3 = 1215, F2",
        [window(DAY, 4, standard, _minutes(45))],
        ["recursive_only"],
    )
    case(
        "RECURSIVE below its threshold: none, with the F1 score 0",
        [window(DAY, 4, high, _minutes(5))],
        ["recursive_only", "boundary"],
    )
    case(
        "F1 and F2 on different days: F1 wins",
        [window(DAY - 1, 4, high, _minutes(30)), window(DAY, 2, high, _minutes(15))],
        ["f1_wins"],
    )
    case(
        "a confirmed window short of F1 beside a strong recursive one: F2",
        [window(DAY, 1, high, _minutes(5)), window(DAY, 4, high, _minutes(15))],
        ["recursive_only"],
    )
    case(
        "F2 with its own threshold and weight",
        [window(DAY, 4, high, _minutes(15))],
        ["recursive_only"],
        weight=2.0,
        f2_threshold=2000,
    )
    case(
        "equal F1 scores on two days: the later day",
        [window(DAY - 2, 1, high, _minutes(10)), window(DAY - 1, 1, high, _minutes(10))],
        ["boundary"],
    )
    case("no windows: none", [], [])
    return group


# --- RISK-61: changes of level --------------------------------------------------------------


def change_expected(inputs: dict[str, Any]) -> dict[str, Any]:
    found = _change(
        bytes.fromhex(inputs["previous"]).decode(),
        bytes.fromhex(inputs["current"]).decode(),
        inputs["matched_before"],
        inputs["matched_now"],
    )
    if found is None:
        return {"change": None, "reason": None}
    return {"change": text_hex(found[0]), "reason": text_hex(found[1])}


def _change(
    before: str, now: str, matched_before: dict[str, int], matched_now: dict[str, int]
) -> tuple[str, str] | None:
    if before == now:
        return None
    if RANK[now] > RANK[before]:
        if before == "none":
            return "new", "new_exposure"
        upgraded = matched_now.get("recursive", 0) < matched_before.get("recursive", 0)
        return "raised", "upgraded" if upgraded else "new_exposure"
    reason = "revoked" if matched_now.get("revoked", 0) > 0 else "aged_out"
    return ("withdrawn" if now == "none" else "lowered"), reason


def change_group() -> Group:
    group = Group("LevelChange", "a change of level and its reason (RISK-61)")
    cases = [
        (
            "F2 withdrawn: its key was revoked",
            "F2",
            "none",
            {"recursive": 1},
            {"revoked": 1},
            ["withdrawal"],
        ),
        ("F1 withdrawn: the exposure aged out", "F1", "none", {"confirmed_test": 2}, {}, []),
        (
            "F2 raised to F1: its key was upgraded",
            "F2",
            "F1",
            {"recursive": 1},
            {"confirmed_test": 1},
            ["upgraded"],
        ),
        (
            "F2 raised to F1 by another exposure",
            "F2",
            "F1",
            {"recursive": 1},
            {"recursive": 1, "self_report": 1},
            [],
        ),
        (
            "F1 lowered to F2 by a revocation",
            "F1",
            "F2",
            {"confirmed_test": 1, "recursive": 1},
            {"revoked": 1, "recursive": 1},
            ["revoked"],
        ),
        ("a first alert", "none", "F2", {}, {"recursive": 1}, []),
        ("no change", "F1", "F1", {"confirmed_test": 1}, {"confirmed_test": 1, "revoked": 1}, []),
    ]
    for comment, before, now, matched_before, matched_now, flags in cases:
        inputs = {
            "previous": text_hex(before),
            "current": text_hex(now),
            "matched_before": matched_before,
            "matched_now": matched_now,
        }
        group.add(comment, ["RISK-61"], flags, inputs, expected=change_expected(inputs))
    return group


def build(seed: int) -> list[Group]:
    rng = random.Random(seed)
    return [recursive_group(rng), resolve_group(rng), level_group(), change_group()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args()
    write_vector_file(
        args.out,
        "recursive.json",
        "Recursive reports and revisions: kept keys, resolved report types, F1/F2 levels",
        f"spec/tools/generate_recursive_vectors.py --seed {args.seed}",
        NOTES,
        build(args.seed),
    )


if __name__ == "__main__":
    main()
