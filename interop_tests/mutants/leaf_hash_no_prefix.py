"""Mutant leaf_hash_no_prefix: leaves are hashed as SHA-256(data), without the 0x00 prefix (breaks
LOG-1)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants import _log_variant as variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter("mutant-leaf_hash_no_prefix", **variant.leaf_hash_without_prefix())

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
