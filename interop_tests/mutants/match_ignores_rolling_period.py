"""Mutant match_ignores_rolling_period: every key expands to 144 RPIs whatever its rolling_period
(breaks MATCH-2)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import Variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-match_ignores_rolling_period",
    match=Variant(honour_rolling_period=False).handlers()["match"],
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
