"""Mutant bz2020_ignores_company_id: the decoder takes the 12 octets of any 14-octet
manufacturer data, whatever its company id, as the legacy iOS app did (breaks BZ20-8)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._bz2020_variant import decoder_any_company
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-bz2020_ignores_company_id", bz2020_advertisement_decode=decoder_any_company()
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
