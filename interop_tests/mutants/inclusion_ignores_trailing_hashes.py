"""Mutant inclusion_ignores_trailing_hashes: the inclusion verifier stops at the root and
ignores any hashes after it, so a padded proof verifies (breaks LOG-3)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants import _log_variant as variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-inclusion_ignores_trailing_hashes",
    inclusion_verify=variant.inclusion_ignoring_trailing_hashes,
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
