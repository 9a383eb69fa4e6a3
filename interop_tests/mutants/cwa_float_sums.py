"""Mutant cwa_float_sums.

Normalized times are binary doubles summed in window order (CWA iOS) (breaks RISK-7).
"""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._risk_variant import CwaVariant
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter("mutant-cwa_float_sums", score_cwa=CwaVariant(float_sums=True).score)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
