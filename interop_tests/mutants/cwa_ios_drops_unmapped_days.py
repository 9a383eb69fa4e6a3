"""Mutant cwa_ios_drops_unmapped_days.

On iOS, the encounters of days no level mapping holds are dropped, as Android does (breaks
RISK-37).
"""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._risk_variant import CwaVariant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-cwa_ios_drops_unmapped_days",
    score_cwa=CwaVariant(count_unmapped_on=frozenset()).score,
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
