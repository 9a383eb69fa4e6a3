"""Behaviour of the risk scoring ops: answers that must not depend on the order of windows.

Each test draws random exposure windows (seeded) and sends them in three orders; RISK-7
makes every scorer's result independent of window order (exact arithmetic, no float sums
that land on either side of a threshold), so the three answers must agree. The
configurations are the ones the spec names: ENX's recommended defaults (RISK-15) and
CWA's current parameters (the configuration of the CWA vectors).
"""

from __future__ import annotations

import random
from typing import Any

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import CheckFailed, InteropTest, behaviour
from bluezone.interop_tests.risk_checks import same

# spec RISK-15: ENX's recommended v2 configuration.
ENX_CONFIG: dict[str, Any] = {
    "attenuation_bucket_thresholds_db": [55, 63, 70],
    "attenuation_bucket_weights": [1.5, 1.0, 0.4, 0.0],
    "infectiousness_weights": {"standard": 0.3, "high": 1.0},
    "report_type_weights": {
        "confirmed_test": 1.0,
        "confirmed_clinical_diagnosis": 1.0,
        "self_report": 1.0,
        "recursive": 0.0,
    },
    "minimum_window_score": 0,
    "days_since_exposure_threshold": 0,
}


def _range(low: float, high: float, exclusive: bool = True) -> dict[str, Any]:
    return {"min": low, "max": high, "maxExclusive": exclusive}


# CWA's current parameters (cwa-server risk-calculation-parameters.yaml), spec 5.7.
CWA_CONFIG: dict[str, Any] = {
    "minutesAtAttenuationFilters": [],
    "trlFilters": [],
    "minutesAtAttenuationWeights": [
        {"attenuationRange": _range(0, 63), "weight": 0.8},
        {"attenuationRange": _range(63, 73), "weight": 1.0},
        {"attenuationRange": _range(73, 79), "weight": 0.1},
    ],
    "normalizedTimePerEWToRiskLevelMapping": [
        {"normalizedTimeRange": _range(0, 9), "riskLevel": 1},
        {"normalizedTimeRange": _range(9, 9999, False), "riskLevel": 2},
    ],
    "normalizedTimePerDayToRiskLevelMapping": [
        {"normalizedTimeRange": _range(5, 9), "riskLevel": 1},
        {"normalizedTimeRange": _range(9, 99999, False), "riskLevel": 2},
    ],
    "trlEncoding": {
        "infectiousnessOffsetStandard": 1,
        "infectiousnessOffsetHigh": 2,
        "reportTypeOffsetRecursive": 0,
        "reportTypeOffsetSelfReport": 2,
        "reportTypeOffsetConfirmedClinicalDiagnosis": 4,
        "reportTypeOffsetConfirmedTest": 6,
    },
    "transmissionRiskValueMapping": [
        {"transmissionRiskLevel": level, "transmissionRiskValue": value}
        for level, value in enumerate((0, 0, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6), start=1)
    ],
}


def random_windows(rng: random.Random, count: int, first_day: int = 18990) -> list[dict]:
    """``count`` valid windows (RISK-9) over three days, attenuations around the buckets."""
    windows = []
    for _ in range(count):
        scans = []
        for _ in range(rng.randint(1, 6)):
            typical = rng.randint(45, 80)
            scans.append(
                {
                    "typical_attenuation_db": typical,
                    "min_attenuation_db": typical - rng.randint(0, 6),
                    "seconds_since_last_scan": rng.choice((60, 120, 180, 200, 240, 300)),
                }
            )
        windows.append(
            {
                "day": first_day + rng.randint(0, 2),
                "report_type": rng.randint(1, 4),
                "infectiousness": rng.randint(1, 2),
                "calibration_confidence": rng.randint(0, 3),
                "scan_instances": scans,
            }
        )
    return windows


def _order_test(op: str, config: dict[str, Any], rules: tuple[str, ...]) -> InteropTest:
    topic = {"score_v2": "risk-v2", "score_cwa": "risk-cwa"}[op]

    @behaviour(
        f"{topic}/window-order",
        rules,
        (op,),
        "random windows in their order, reversed and shuffled get one answer",
    )
    def run(ctx: Context) -> None:
        for _ in range(4):
            windows = random_windows(ctx.rng, ctx.rng.randint(2, 12))
            first = ctx.result(op, {"config": config, "windows": windows})
            shuffled = windows[:]
            ctx.rng.shuffle(shuffled)
            for other in (windows[::-1], shuffled):
                params = {"config": config, "windows": other}
                answer = ctx.result(op, params)
                if not same(first, answer):
                    raise CheckFailed(
                        "the answer depends on the order of the windows (RISK-7)",
                        {"op": op, "params": params},
                        first,
                        answer,
                    )

    return run


TESTS: list[InteropTest] = [
    _order_test("score_v2", ENX_CONFIG, ("RISK-7", "RISK-14")),
    _order_test("score_cwa", CWA_CONFIG, ("RISK-7", "RISK-36")),
]
