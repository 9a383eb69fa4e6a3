"""Mutant decoder_ignores_padding: the decoder stops at a zero length octet without checking what
follows (breaks ADV-6)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import decoder_handler
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-decoder_ignores_padding", advertisement_decode=decoder_handler(check_padding=False)
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
