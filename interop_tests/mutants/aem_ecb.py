"""Mutant aem_ecb: AEM encrypted with AES-ECB of the zero-padded metadata instead of CTR (breaks
KS-8)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import Variant
from bluezone.interop_tests.reference_adapter import build_adapter

ops = Variant(aem_mode="ecb").handlers()
ADAPTER = build_adapter(
    "mutant-aem_ecb", aem_encrypt=ops["aem_encrypt"], aem_decrypt=ops["aem_decrypt"]
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
