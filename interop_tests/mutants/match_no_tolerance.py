"""Mutant match_no_tolerance: a sighting matches only in its RPI's own interval (breaks MATCH-3)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import Variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter("mutant-match_no_tolerance", match=Variant(tolerance=0).handlers()["match"])

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
