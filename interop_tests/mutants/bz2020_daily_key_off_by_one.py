"""Mutant bz2020_daily_key_off_by_one: the daily key is hashed one time too few after the
install day, as in the legacy app's v2.0.0 source (breaks BZ20-2)."""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._bz2020_variant import blid_handler
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-bz2020_daily_key_off_by_one", bz2020_blid=blid_handler(days_short=1)
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
