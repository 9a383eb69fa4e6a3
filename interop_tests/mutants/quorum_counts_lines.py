"""Mutant quorum_counts_lines: the witness quorum counts valid cosignature lines, not distinct
witness keys (breaks LOG-10)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants import _log_variant as variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-quorum_counts_lines", checkpoint_verify=variant.quorum_counting_lines
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
