"""Mutant hkdf_salt_tek: HKDF salted with the TEK instead of the empty salt (breaks KS-5, KS-7)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import Variant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter("mutant-hkdf_salt_tek", **Variant(salt_is_tek=True).handlers())

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
