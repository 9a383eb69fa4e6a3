"""Mutant match_tolerance_13: the matching tolerance is 13 intervals, not 12 (breaks MATCH-3)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import Variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-match_tolerance_13", match=Variant(tolerance=13).handlers()["match"]
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
