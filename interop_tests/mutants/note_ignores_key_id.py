"""Mutant note_ignores_key_id: signature lines are matched to known keys by name alone, ignoring
the key ID (breaks LOG-6, LOG-7)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants import _log_variant as variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter("mutant-note_ignores_key_id", **variant.ignoring_key_ids())

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
