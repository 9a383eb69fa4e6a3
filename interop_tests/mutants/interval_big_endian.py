"""Mutant interval_big_endian: PaddedData carries the interval big-endian (breaks KS-6)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import Variant
from bluezone.interop_tests.reference_adapter import build_adapter

ops = Variant(interval_order="big").handlers()
ADAPTER = build_adapter("mutant-interval_big_endian", rpi=ops["rpi"], match=ops["match"])

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
