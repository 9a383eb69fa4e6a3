"""Mutant consistency_equal_sizes_unchecked: a consistency proof between equal sizes is accepted
without comparing the two roots (breaks LOG-4)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants import _log_variant as variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-consistency_equal_sizes_unchecked",
    consistency_verify=variant.consistency_skipping_equal_sizes,
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
