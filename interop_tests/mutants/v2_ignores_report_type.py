"""Mutant v2_ignores_report_type.

The window score leaves out the report type weight, so a recursive report counts as confirmed
(breaks RISK-12).
"""

import sys

from bluezone.interop_tests.adapter_kit import run
from bluezone.interop_tests.mutants._risk_variant import v2_handler
from bluezone.interop_tests.reference_adapter import build_adapter

ADAPTER = build_adapter("mutant-v2_ignores_report_type", score_v2=v2_handler(report_type=False))

if __name__ == "__main__":
    sys.exit(run(ADAPTER))
