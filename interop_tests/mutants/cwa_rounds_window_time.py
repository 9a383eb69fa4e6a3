"""Mutant cwa_rounds_window_time.

Each window's normalized time is rounded to one decimal before its level and the day sum (breaks
RISK-35).
"""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._risk_variant import CwaVariant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-cwa_rounds_window_time", score_cwa=CwaVariant(round_window=True).score
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
