"""Mutant export_skips_signature: the export parser never verifies export.sig (breaks EXP-8)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants import _log_variant as variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-export_skips_signature", export_parse=variant.export_without_signature_check
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
