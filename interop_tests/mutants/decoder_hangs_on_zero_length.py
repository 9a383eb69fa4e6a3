"""Mutant decoder_hangs_on_zero_length: the decoder skips a zero length octet without advancing: it
loops forever (breaks ADV-6, IOP-18)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import decoder_handler
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-decoder_hangs_on_zero_length",
    advertisement_decode=decoder_handler(skip_empty_structures=True),
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
