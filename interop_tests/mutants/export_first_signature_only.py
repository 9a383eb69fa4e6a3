"""Mutant export_first_signature_only: the export parser verifies the first signature with its key,
without selecting signatures by key ID and version (breaks EXP-7)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants import _log_variant as variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-export_first_signature_only", export_parse=variant.export_checking_first_signature
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
