"""Mutant cwa_never_rounds.

No day's normalized time is rounded, Android's neither (this project's rule until the
platform profiles) (breaks RISK-36).
"""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._risk_variant import CwaVariant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-cwa_never_rounds", score_cwa=CwaVariant(round_day_on=frozenset()).score
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
