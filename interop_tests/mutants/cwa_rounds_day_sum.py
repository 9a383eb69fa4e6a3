"""Mutant cwa_rounds_day_sum.

Each day's normalized time is rounded to one decimal on both platforms, iOS too (only CWA
Android rounds, since EXPOSUREAPP-12211) (breaks RISK-36).
"""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._risk_variant import CwaVariant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-cwa_rounds_day_sum",
    score_cwa=CwaVariant(round_day_on=frozenset({"android", "ios"})).score,
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
