"""Mutant decoder_lenient_length: the decoder accepts 20 or more octets of service data (breaks
ADV-11)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._variant import decoder_handler
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-decoder_lenient_length",
    advertisement_decode=decoder_handler(exact_service_data=False),
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
