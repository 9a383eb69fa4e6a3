"""Behaviour of the risk scoring ops: answers that must not depend on the order of windows.

Each test draws random exposure windows (seeded) and sends them in three orders; RISK-7
makes every scorer's result independent of window order (exact arithmetic, no float sums
that land on either side of a threshold), so the three answers must agree. The
configurations are profiles the spec ships in ``spec/profiles``: Google's ENX defaults and
LFPH's "narrower net 1.0" (RISK-15), and CWA's current parameters (spec 5.7).
"""

from __future__ import annotations

import random

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import CheckFailed, InteropTest, behaviour
from bluezone.interop_tests.risk_checks import same
from bluezone.interop_tests.vectors import load_profile


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


def _order_test(
    op: str, profile: str, rules: tuple[str, ...], key: str | None = None
) -> InteropTest:
    """Window order must not matter under ``profile`` (``key``: the part the op takes)."""
    topic = {"score_v2": "risk-v2", "score_cwa": "risk-cwa"}[op]

    @behaviour(
        f"{topic}/window-order/{profile}",
        rules,
        (op,),
        "random windows in their order, reversed and shuffled get one answer",
    )
    def run(ctx: Context) -> None:
        config = load_profile(profile)
        if key is not None:
            config = config[key]
        # The windows fall on days 18990..18992; a v2 profile may limit days since exposure.
        today = {"today": 18993} if op == "score_v2" else {}
        for _ in range(4):
            windows = random_windows(ctx.rng, ctx.rng.randint(2, 12))
            first = ctx.result(op, {"config": config, "windows": windows, **today})
            shuffled = windows[:]
            ctx.rng.shuffle(shuffled)
            for other in (windows[::-1], shuffled):
                params = {"config": config, "windows": other, **today}
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
    _order_test("score_v2", "enx", ("RISK-7", "RISK-14"), "daily_summaries_config"),
    _order_test(
        "score_v2", "lfph-narrower-net-1.0", ("RISK-7", "RISK-14"), "daily_summaries_config"
    ),
    _order_test("score_cwa", "cwa", ("RISK-7", "RISK-36")),
]
