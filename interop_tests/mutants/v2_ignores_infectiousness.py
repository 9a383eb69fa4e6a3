"""Mutant v2_ignores_infectiousness.

The window score leaves out the infectiousness weight (breaks RISK-12).
"""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._risk_variant import v2_handler
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter(
    "mutant-v2_ignores_infectiousness", score_v2=v2_handler(infectiousness=False)
)

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
