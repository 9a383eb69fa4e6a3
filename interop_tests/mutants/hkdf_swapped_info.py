"""Mutant hkdf_swapped_info: RPIK and AEMK derived with each other's HKDF info
(breaks KS-5, KS-7)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import Variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-hkdf_swapped_info",
    **Variant(rpik_info=b"EN-AEMK", aemk_info=b"EN-RPIK").handlers(),
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
